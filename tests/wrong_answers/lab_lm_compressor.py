"""lab_lm_compressor: a plausible but wrong answer to question lm_decoder: the decoder checks the end
of the stream only for an empty message (where the public check looks) and otherwise stops as soon
as it has decoded n bytes, never calling ``decoder.finish()``; a stream with bytes appended after its
end (trailing data) is then silently accepted instead of raising ValueError.

It passes the public tests of lm_decoder (every round trip of a valid stream succeeds, and the
stream of an empty message with a byte appended is refused) and fails the hidden test
test_lm_decompress_refuses_damaged_streams, so the autograder takes points."""
QUESTION = "lm_decoder"
CODE = '''def lm_decompress(model, blob: bytes, n: int) -> bytes:
    """Invert ``lm_compress``: decode ``n`` bytes, feeding each one back as context."""
    decoder = ArithmeticDecoder(blob)
    if n == 0:  # nothing to decode: the stream must be the empty message's and nothing more
        decoder.finish()
        return b""
    out = bytearray()
    for _ in range(n):
        freqs = quantize_probabilities(next_byte_probs(model, bytes(out)), TOTAL_BITS)
        cum = np.cumsum(freqs)  # cum[s] = sum of the frequencies up to and including s
        target = decoder.decode_target(1 << TOTAL_BITS)
        byte = int(np.searchsorted(cum, target, side="right"))
        decoder.consume(int(cum[byte] - freqs[byte]), int(freqs[byte]))
        out.append(byte)
    return bytes(out)  # all n bytes are decoded: nothing is left to do
'''
