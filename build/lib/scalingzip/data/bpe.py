"""Byte-level byte-pair encoding (BPE): a tokenizer learned from text by merging frequent pairs.

BPE began as a data-compression algorithm (Gage 1994): replace the most frequent pair of
adjacent bytes by a byte the data does not use, record the replacement, and repeat. Sennrich et
al. (2016) brought it to natural language processing as a way to build a vocabulary of subword
units, and GPT-2 (Radford et al. 2019) ran it on bytes, so that every byte string has an
encoding. This module does the same:

* The base vocabulary is the 256 byte values: token ``b`` is the byte ``b``. Merge ``i`` (counted
  from 0) creates token ``256 + i`` from a pair of earlier tokens; its bytes are theirs, joined.
* Text is first cut into *words* by a regular expression (:data:`PRETOKENIZE_PATTERN`), and pairs
  are counted and merged only inside a word, so no token spans a word boundary.
* Training repeatedly merges the most frequent pair. Ties go to the smallest pair of token ids
  ``(a, b)`` in lexicographic order, so training is deterministic.
* Encoding applies the learned merges to each word in the order they were learned; decoding
  joins the tokens' bytes. ``decode(encode(x)) == x`` for every byte string ``x``, including
  bytes never seen in training (they stay single-byte tokens).

Units: sizes of text are in bytes, counts of tokens are in tokens, and the ratio that matters
for a language model's compute, :func:`bytes_per_token`, is in bytes per token.

Training is incremental (the usual implementation): the words are counted once, each distinct
word is a list of token ids, and a table of pair counts, plus for each pair the set of distinct
words that contain it, is updated after each merge only for the words that contained the
merged pair. A heap with lazy deletion finds the most frequent pair.

References:
    Gage 1994, "A New Algorithm for Data Compression", C Users Journal 12(2).
    Sennrich, Haddow and Birch 2016, "Neural Machine Translation of Rare Words with Subword
    Units", ACL.
    Radford et al. 2019, "Language Models are Unsupervised Multitask Learners" (byte-level BPE,
    and a pre-tokenising regular expression of which :data:`PRETOKENIZE_PATTERN` is an
    ASCII-only simplification).
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from numbers import Integral

__all__ = [
    "N_BYTES",
    "PRETOKENIZE_PATTERN",
    "BPETokenizer",
    "bytes_per_token",
    "pretokenize",
    "train_bpe",
]

N_BYTES = 256  # size of the base vocabulary: one token per byte value

# Words for pre-tokenisation, on bytes: English contractions; a run of ASCII letters, of digits,
# or of other non-space bytes (which include every non-ASCII byte), each with at most one
# leading space; runs of whitespace, leaving the last space of a run to the word after it. Every
# byte belongs to exactly one alternative, so the words always join back into the input. This
# is GPT-2's pattern with its Unicode classes (letters, numbers) replaced by ASCII ones.
PRETOKENIZE_PATTERN = rb"'(?:s|t|re|ve|m|ll|d)| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"

_WORD_RE = re.compile(PRETOKENIZE_PATTERN)

Pair = tuple[int, int]


def _as_bytes(data: object, name: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes (encode a str with .encode('utf-8')); got {type(data).__name__}")
    return bytes(data)


def pretokenize(data: bytes) -> list[bytes]:
    """Cut bytes into the words that BPE merges within (:data:`PRETOKENIZE_PATTERN`).

    The words are non-empty and join back into ``data`` exactly:
    ``b"".join(pretokenize(x)) == x`` for every byte string.
    """
    data = _as_bytes(data, "data")
    words = _WORD_RE.findall(data)
    assert sum(map(len, words)) == len(data), "the pattern covers every byte"
    return words


class BPETokenizer:
    """A byte-level BPE tokenizer: the learned merges, and encoding and decoding with them.

    Args:
        merges: the merges in the order they were learned; merge ``i`` joins the pair of token
            ids ``(a, b)`` into the new token ``256 + i``, so ``a`` and ``b`` must be below
            ``256 + i``. Usually made by :func:`train_bpe`.

    Invariants: ``vocab_size == 256 + len(merges)``; token ``t``'s bytes are
    ``token_bytes(t)``, non-empty, and a merged token's bytes are its pair's bytes joined.
    """

    def __init__(self, merges: Iterable[Sequence[int]]) -> None:
        merges = tuple((int(a), int(b)) for a, b in merges)
        vocab = [bytes([i]) for i in range(N_BYTES)]
        ranks: dict[Pair, int] = {}
        for i, (a, b) in enumerate(merges):
            new = N_BYTES + i
            if not (0 <= a < new and 0 <= b < new):
                raise ValueError(f"merge {i} joins ({a}, {b}), but only tokens 0..{new - 1} exist at that point; "
                                 "merges must refer to bytes or to earlier merges")
            if (a, b) in ranks:
                raise ValueError(f"merge {i} repeats the pair ({a}, {b}) of merge {ranks[(a, b)]}")
            ranks[(a, b)] = i
            vocab.append(vocab[a] + vocab[b])
        self._merges = merges
        self._ranks = ranks  # pair -> the order in which it was merged
        self._vocab = vocab  # token id -> its bytes
        self._cache: dict[bytes, tuple[int, ...]] = {}  # word -> its tokens

    @property
    def merges(self) -> tuple[Pair, ...]:
        """The merges, in the order learned: merge ``i`` makes token ``256 + i``."""
        return self._merges

    @property
    def vocab_size(self) -> int:
        """Number of tokens: 256 bytes plus one per merge."""
        return len(self._vocab)

    def token_bytes(self, token: int) -> bytes:
        """The bytes that token ``token`` stands for."""
        if not 0 <= token < len(self._vocab):
            raise ValueError(f"token {token} is outside the vocabulary 0..{len(self._vocab) - 1}")
        return self._vocab[token]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BPETokenizer) and other._merges == self._merges

    def __hash__(self) -> int:
        return hash(self._merges)

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size})"

    def _encode_word(self, word: bytes) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        tokens = list(word)
        ranks = self._ranks
        while len(tokens) > 1:
            # The earliest-learned merge present in the word is the next one training applied:
            # any merge learned before it can no longer apply, since the pairs a merge creates
            # contain its new token, which only later merges use.
            rank, pair = min(((ranks.get(p, len(ranks)), p) for p in zip(tokens, tokens[1:])))
            if rank == len(ranks):
                break
            new, merged, i = N_BYTES + rank, [], 0
            while i < len(tokens):  # replace every occurrence, left to right
                if i + 1 < len(tokens) and (tokens[i], tokens[i + 1]) == pair:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(tokens[i])
                    i += 1
            tokens = merged
        result = tuple(tokens)
        self._cache[word] = result
        return result

    def encode(self, data: bytes) -> list[int]:
        """Tokens of ``data``: its words (:func:`pretokenize`), each merged as in training.

        Returns a list of token ids in ``[0, vocab_size)``; ``decode`` of it is ``data``.
        """
        tokens: list[int] = []
        for word in pretokenize(data):
            tokens.extend(self._encode_word(word))
        return tokens

    def decode(self, tokens: Iterable[int]) -> bytes:
        """The bytes of a sequence of token ids (the inverse of :meth:`encode`)."""
        vocab, parts = self._vocab, []
        for t in tokens:
            if isinstance(t, bool) or not isinstance(t, Integral) or not 0 <= t < len(vocab):
                raise ValueError(f"tokens must be integers in 0..{len(vocab) - 1}, the vocabulary of this "
                                 f"tokenizer; got {t!r}")
            parts.append(vocab[t])
        return b"".join(parts)


def _pairs(word: Sequence[int]) -> Counter[Pair]:
    return Counter(zip(word, word[1:]))


def train_bpe(text: bytes, vocab_size: int, *, min_count: int = 2) -> BPETokenizer:
    """Learn byte-level BPE merges from ``text`` until the vocabulary has ``vocab_size`` tokens.

    Each step merges the adjacent pair of tokens that occurs most often inside the words of
    ``text`` (occurrences counted with overlap, so ``aaa`` holds the pair ``(a, a)`` twice) and
    replaces it, left to right, in every word. Ties go to the smallest ``(a, b)``.

    Args:
        text: the training text, bytes.
        vocab_size: tokens wanted, 256 bytes plus ``vocab_size - 256`` merges; at least 256.
        min_count: stop early, with a smaller vocabulary, when no pair occurs this often
            (a pair seen once saves one token once; at least 1).

    Returns:
        A :class:`BPETokenizer` with at most ``vocab_size`` tokens.

    Cost: one pass over ``text`` to count its words, then per merge work proportional to the
    distinct words that contain the merged pair; never a rescan of the text.
    """
    text = _as_bytes(text, "text")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < N_BYTES:
        raise ValueError(f"vocab_size must be an integer >= {N_BYTES} (the 256 byte values, then one token per "
                         f"merge); got {vocab_size!r}")
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be a positive integer; got {min_count!r}")

    word_counts = Counter(pretokenize(text))
    words = [list(w) for w in word_counts]  # each distinct word as token ids, merged as we go
    freqs = list(word_counts.values())  # occurrences of each distinct word in the text

    # Invariant, after every merge: counts[p] = sum over words w of freqs[w] x (occurrences of
    # p in words[w]), for every pair p with a non-zero count; where[p] holds every word index
    # that contains p (and possibly some that no longer do, which the update skips).
    counts: defaultdict[Pair, int] = defaultdict(int)
    where: defaultdict[Pair, set[int]] = defaultdict(set)
    for index, word in enumerate(words):
        for pair, k in _pairs(word).items():
            counts[pair] += k * freqs[index]
            where[pair].add(index)
    heap = [(-c, pair) for pair, c in counts.items()]
    heapq.heapify(heap)

    merges: list[Pair] = []
    while N_BYTES + len(merges) < vocab_size and heap:
        negative, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -negative:
            continue  # stale entry: the count changed after it was pushed
        if -negative < min_count:
            break
        new = N_BYTES + len(merges)
        merges.append(pair)
        changed: set[Pair] = set()
        for index in where.pop(pair):
            word = words[index]
            if len(word) < 2:
                continue
            before = _pairs(word)
            if pair not in before:
                continue
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            words[index] = merged
            after = _pairs(merged)
            f = freqs[index]
            for p, k in before.items():
                counts[p] -= k * f
                changed.add(p)
            for p, k in after.items():
                counts[p] += k * f
                where[p].add(index)
                changed.add(p)
        for p in changed:
            c = counts[p]
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                del counts[p]
        assert pair not in counts, "a merged pair no longer occurs"
    return BPETokenizer(merges)


def bytes_per_token(tokenizer: BPETokenizer, data: bytes) -> float:
    """Bytes of ``data`` per token of its encoding: 1 for bytes, more with a larger vocabulary.

    Training FLOPs per byte of text are 6N / bytes_per_token for a model of N parameters.
    """
    data = _as_bytes(data, "data")
    if not data:
        raise ValueError("data is empty; bytes per token needs at least one byte")
    return len(data) / len(tokenizer.encode(data))
