"""The ladder benchmark: its rungs are real models of the package, its last rung is the mixing mode."""

import pytest

from scalingzip.benchmarks import ladder as lad
from scalingzip.coding.mixing import PARTS
from scalingzip.compressors import compress
from scalingzip.data import load_text


def test_the_ladder_climbs_from_order_0_to_the_mixing_mode():
    data = load_text("python-docs")[:6000]
    rungs = lad.ladder(data)
    assert [r.label for r in rungs][:3] == ["order 0 (adaptive counts)", "PPM order 2", "PPM order 5"]
    assert len(rungs) == 3 + 7 and [r.blob for r in rungs] == [True] * 3 + [False] * 6 + [True]
    assert rungs[-1].compressed_bytes == len(compress(data, "mixing"))
    assert rungs[0].bits_per_byte > rungs[2].bits_per_byte > rungs[-1].bits_per_byte
    assert all(r.bits_per_byte == pytest.approx(8 * r.compressed_bytes / len(data)) for r in rungs)
    costs = lad.leave_one_out(data)
    assert list(costs) == list(PARTS) and costs["mixer contexts"] > 0
    with pytest.raises(ValueError, match="non-empty"):
        lad.ladder(b"")


def test_the_hybrid_rung_is_a_real_file_never_longer_than_mixing():
    from scalingzip.compressors.model_files import load_model, pretrained_model_path

    data = load_text("python-docs")[-2500:]
    rungs = lad.ladder(data, load_model(pretrained_model_path())[0])
    assert rungs[-1].label == lad.HYBRID_LABEL and rungs[-1].blob
    assert rungs[-1].compressed_bytes < rungs[-2].compressed_bytes + 250  # its header names the model
