"""lab_compression_challenge: a plausible but wrong answer to question description_length: it
counts the decoder's source with ``len(source)``, in characters, where the grader stores the
module as UTF-8 and counts bytes.

On an ASCII source the two agree, so the public test passes; the hidden test's source holds "π"
and "≈", which take two and three bytes, so the autograder takes points."""
QUESTION = "description_length"
CODE = '''def description_length(source, artifacts: dict, blob: bytes) -> int:
    """Bytes of the two-part code: the decoder (its source and artifacts) plus the compressed data."""
    return len(source) + sum(len(value) for value in artifacts.values()) + len(blob)


def bits_per_byte(total_bytes: int, n: int) -> float:
    """A score in bits per byte of an n-byte text."""
    if n <= 0:
        raise ValueError(f"bits per byte of a text of {n} bytes is undefined")
    return 8 * total_bytes / n'''
