"""lab_entropy_huffman: a plausible but wrong answer to question encode_decode: the decoder returns
whatever it decoded when the bits run out, instead of refusing a truncated stream.

Every round trip works, so the public test passes; the hidden test that cuts the stream short
expects a ValueError and gets a shorter result, so the autograder takes that test's points."""

QUESTION = "encode_decode"
CODE = '''def encode(data: bytes, code: dict[int, str]) -> bytes:
    bits = "".join(code[b] for b in data)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def decode(packed: bytes, code: dict[int, str], n: int) -> bytes:
    table = {word: s for s, word in code.items()}
    out, word = bytearray(), ""
    for bit in "".join(format(b, "08b") for b in packed):
        word += bit
        if word in table:
            out.append(table[word])
            word = ""
            if len(out) == n:
                break
    return bytes(out)
'''
