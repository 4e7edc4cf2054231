"""An entry whose decoder looks for what it must not see: the course's data, the grader's files, the
network. It compresses honestly (zlib), and its decoder fails if any look succeeds. The artifact
``paths.txt`` names files the decoder must not see."""

import zlib
from pathlib import Path


def compress(data, artifacts):
    return zlib.compress(data, 9)


def decompress(blob, artifacts):
    import scalingzip

    package = Path(scalingzip.__file__).parent
    seen = [p for p in package.rglob("*") if p.suffix in (".xz", ".pt", ".tsv")]
    if seen:
        raise RuntimeError(f"the decoder can read the course's data: {seen[0]}")
    for path in artifacts["paths.txt"].decode().split("\n"):  # the hidden text's file, the repository's labs
        if Path(path).exists():
            raise RuntimeError(f"the decoder can see {path}")
    try:
        import socket

        socket.create_connection(("1.1.1.1", 53), timeout=2)
        raise RuntimeError("the decoder reached the network")
    except OSError:
        pass
    return zlib.decompress(blob)
