"""A cheating entry: compress hides the text where a decoder of the same process or machine could
find it, and sends nothing. Every channel must be closed, so its decoder finds nothing and fails."""

import os
import pathlib

LEAK = {}
PLACES = ["/tmp/leak.bin", os.path.expanduser("~/leak.bin"), "/var/tmp/leak.bin", "/dev/shm/leak.bin",
          "leak.bin", "../leak.bin", "/entry/../leak.bin"]


def compress(data, artifacts):
    LEAK["text"] = data  # a module global
    os.environ["LEAK"] = data.hex()  # an environment variable
    for place in PLACES:  # files left on disk
        try:
            pathlib.Path(place).write_bytes(data)
        except OSError:
            pass
    try:  # and over the network
        import socket

        socket.create_connection(("127.0.0.1", 9), timeout=1).sendall(data)
    except OSError:
        pass
    return b""


def decompress(blob, artifacts):
    if "text" in LEAK:
        return LEAK["text"]
    if "LEAK" in os.environ:
        return bytes.fromhex(os.environ["LEAK"])
    for place in PLACES:
        try:
            return pathlib.Path(place).read_bytes()
        except OSError:
            pass
    raise RuntimeError("nothing was left behind")
