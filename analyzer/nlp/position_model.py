"""The trained position classifier as a pipeline component: it scores each sentence with
the sentence classifier that ``analyzer train`` wrote and marks the labels it is sure of,
beside (or instead of) the cue rules' marks."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from analyzer.nlp.extensions import Marked, marks, register_extensions


class PositionModel:
    def __init__(self, nlp: Language, name: str, *, classifier: Language, threshold: float, weight: float) -> None:
        register_extensions()
        self.name = name
        self.classifier = classifier
        self.threshold = threshold
        self.weight = weight

    def __call__(self, doc: Doc) -> Doc:
        sentences = [s for s in doc.sents if any(t.is_alpha for t in s)]
        found = marks(doc, "mlpa_claims")
        texts = (s.text for s in sentences)
        for sent, scored in zip(sentences, self.classifier.pipe(texts, batch_size=256)):
            for label, score in scored.cats.items():
                if score < self.threshold:
                    continue
                position, _, stance = label.partition("/")
                found.append(
                    Marked(
                        label=position,
                        stance=stance,
                        weight=round(score * self.weight, 3),
                        start=sent.start_char,
                        end=sent.end_char,
                        sentence_start=sent.start_char,
                        sentence_end=sent.end_char,
                        cue_id="model",
                    )
                )
        doc._.mlpa_claims = found
        return doc
