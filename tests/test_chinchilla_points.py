"""The digitised Chinchilla points: the loader's contract, and the digitiser on a figure whose truth is known."""

from __future__ import annotations

import base64
import io
import math
import shutil

import numpy as np
import pytest

from scalingzip.data.digitised import CHINCHILLA_POINTS_SHA256, load_chinchilla_points
from scalingzip.data.digitised.digitise import digitise_scatter_svg


# --- the shipped points ------------------------------------------------------------------


def test_loader_shape_and_units():
    pts = load_chinchilla_points()
    assert len(pts) == 245
    for name in ("N", "C", "D", "loss"):
        values = getattr(pts, name)
        assert values.shape == (245,) and values.dtype == np.float64 and np.all(np.isfinite(values))
    # Hoffmann et al.: models of 70M to 16B parameters; the figure's axes: 1e18-1e24 FLOP;
    # its colour bar: 1.8-5.0 nats/token
    assert 5e7 < pts.N.min() and pts.N.max() < 2e10
    assert 1e18 < pts.C.min() and pts.C.max() < 1e24
    assert 1.8 < pts.loss.min() and pts.loss.max() < 5.0
    assert 1e8 < pts.D.min() and pts.D.max() < 1e12  # tokens


def test_tokens_are_compute_over_six_n():
    pts = load_chinchilla_points()
    np.testing.assert_allclose(pts.D, pts.C / (6.0 * pts.N), rtol=1e-9)


def test_drop_highest_loss_keeps_order_and_drops_the_top():
    pts = load_chinchilla_points()
    kept = pts.drop_highest_loss(5)
    assert len(kept) == 240
    dropped = np.sort(pts.loss)[-5:]
    assert kept.loss.max() < dropped.min()
    # order of the remaining points is the file's order
    index = [int(np.flatnonzero(pts.C == c)[0]) for c in kept.C]
    assert index == sorted(index)
    with pytest.raises(ValueError, match="integer from 0"):
        pts.drop_highest_loss(300)


def test_loader_refuses_a_changed_file(tmp_path):
    shipped = load_chinchilla_points().source
    assert "hoffmann2022_fig4.csv" in shipped
    from importlib import resources

    original = resources.files("scalingzip.data.digitised").joinpath("hoffmann2022_fig4.csv")
    copy = tmp_path / "points.csv"
    with resources.as_file(original) as path:
        shutil.copy(path, copy)
    assert len(load_chinchilla_points(copy)) == 245  # an exact copy is accepted
    text = copy.read_text()
    lines = text.splitlines()
    lines[10] = lines[10].replace(",", ",9", 1)  # one digit more in one number
    copy.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="SHA-256") as err:
        load_chinchilla_points(copy)
    assert CHINCHILLA_POINTS_SHA256 in str(err.value)


# --- the digitiser on a small synthetic figure --------------------------------------------

K = 16  # colours on the bar, 3 raster rows each
BAR = dict(left=400.0, right=410.0, top=20.0, bottom=68.0)  # page pt, y down
LOSS_LO, LOSS_HI = 2.0, 4.0  # bar range: bottom and top (log scale)
EM = 0.38  # tick sits this many font sizes above its label's baseline
FONT = 10.0


def _bar_colours() -> np.ndarray:
    ramp = np.linspace(0, 1, K)
    return np.stack([40 + 200 * ramp, 200 - 150 * ramp, 90 + 20 * ramp], axis=1).round().astype(np.uint8)  # top to bottom


def _loss_y(loss: float) -> float:
    return BAR["bottom"] - (BAR["bottom"] - BAR["top"]) * math.log(loss / LOSS_LO) / math.log(LOSS_HI / LOSS_LO)


def _N_y(N: float) -> float:
    return 120.0 - 50.0 * (math.log10(N) - 9.0)


def _C_x(C: float) -> float:
    return 50.0 + 60.0 * (math.log10(C) - 18.0)


def _text(x: float, y: float, text: str, size: float = FONT) -> str:
    return (f'<text transform="matrix(1 0 -0 1 0 200)" font-size="{size}"><tspan x="{x}" y="{y - 200}">'
            f"{text}</tspan></text>")


def _synthetic_svg(markers: list[tuple[float, float, str]]) -> bytes:
    from matplotlib.image import imsave

    rows = np.repeat(_bar_colours(), 3, axis=0)[:, None, :].repeat(4, axis=1)  # (48, 4, 3)
    buffer = io.BytesIO()
    imsave(buffer, rows, format="png")
    png = base64.b64encode(buffer.getvalue()).decode()
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
             'width="500pt" height="200pt" viewBox="0 0 500 200">',
             '<defs><clipPath id="c"><path transform="matrix(1,0,0,-1,5,5)" d="M-1-1H1V1H-1Z"/></clipPath></defs>',
             f'<g transform="matrix(1,0,0,1,{BAR["left"]},{BAR["top"]})"><image width="10" height="48" '
             f'xlink:href="data:image/png;base64,{png}"/></g>']
    for value in (2.0, 3.0, 4.0):  # colour-bar ticks and labels
        y = _loss_y(value)
        parts.append(f'<path d="M{BAR["left"]} {y}H{BAR["left"] - 4}" stroke="#333333" fill="none"/>')
        parts.append(_text(372.0, y + EM * FONT, f"{value:.2f}"))
    for label, N in (("1B", 1e9), ("10B", 1e10), ("100B", 1e11)):
        parts.append(_text(20.0, _N_y(N) + EM * FONT, label))
    parts.append(_text(20.0, _N_y(4e10) + 0.5 + EM * FONT, "40B"))  # a tick half a point off its value
    for C, colour, y in ((1e19, "#123456", 150.0), (1e20, "#654321", 165.0)):  # reference lines + legend
        parts.append(f'<path transform="matrix(1,0,0,-1,0,200)" d="M{_C_x(C)} 70V190" stroke="{colour}" fill="none"/>')
        parts.append(f'<path d="M300 {y}H320" stroke="{colour}" fill="none"/>')
        parts.append(_text(325.0, y + 3.5, f"{C:.0e}"))
    for k in (18, 19, 20):  # decade tick labels, 10 with a superscript
        parts.append(_text(_C_x(10.0**k) - 8.0, 140.0, "10"))
        parts.append(_text(_C_x(10.0**k) + 4.0, 136.0, str(k), size=7.0))
    for x, y, fill in markers:
        parts.append(f'<g clip-path="url(#c)"><path transform="matrix(1,0,0,-1,{x},{y})" '
                     f'd="M0-3C1-3 3-1 3 0 3 1 1 3 0 3-1 3-3 1-3 0-3-1-1-3 0-3Z" fill="{fill}"/></g>')
        parts.append(f'<path transform="matrix(1,0,0,-1,{x},{y})" d="M0-3L3 0 0 3-3 0Z" fill="none" stroke="#000000"/>')
    parts.append("</svg>")
    return "\n".join(parts).encode()


def _hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def test_digitiser_recovers_a_synthetic_figure():
    colours = _bar_colours()
    truth = [(3e18, 2e9, 0), (5e19, 7e9, 7), (2.5e20, 3e10, 15)]  # (C, N, colour index from the top)
    markers = [(_C_x(C), _N_y(N), _hex(colours[j])) for C, N, j in truth]
    pts = digitise_scatter_svg(_synthetic_svg(markers))
    assert len(pts.N) == 3
    C_true = np.array([t[0] for t in truth])
    N_true = np.array([t[1] for t in truth])
    np.testing.assert_allclose(pts.C, C_true, rtol=1e-9)
    np.testing.assert_allclose(pts.N, N_true, rtol=1e-9)
    # a colour's loss is the middle of its step: step j of K spans [top + j h, top + (j+1) h]
    h = (BAR["bottom"] - BAR["top"]) / K
    loss_true = [LOSS_LO * (LOSS_HI / LOSS_LO) ** ((BAR["bottom"] - BAR["top"] - (j + 0.5) * h)
                                                   / (BAR["bottom"] - BAR["top"])) for *_, j in truth]
    np.testing.assert_allclose(pts.loss, loss_true, rtol=1e-9)
    np.testing.assert_allclose(pts.D, C_true / (6 * N_true), rtol=1e-9)
    assert np.all(pts.colour_distance == 0)
    assert pts.N_axis.rejected == ("40B",)  # the mislabelled tick is found and left out
    assert math.isclose(pts.label_offset_em, -EM, rel_tol=1e-9)
    assert math.isclose(pts.colour_step, (LOSS_HI / LOSS_LO) ** (1 / K), rel_tol=1e-9)


def test_digitiser_reports_a_colour_not_on_the_bar():
    off = _bar_colours()[4].astype(int) + np.array([3, 0, 0])
    pts = digitise_scatter_svg(_synthetic_svg([(_C_x(1e19), _N_y(1e9), _hex(off))]))
    assert math.isclose(float(pts.colour_distance[0]), 3.0)


def test_digitiser_refuses_a_figure_without_colour_bar():
    svg = _synthetic_svg([(_C_x(1e19), _N_y(1e9), "#123456")]).decode()
    start = svg.index("<g transform")
    svg = svg[:start] + svg[svg.index("</g>", start) + 4:]
    with pytest.raises(ValueError, match="colour bar"):
        digitise_scatter_svg(svg.encode())
