"""Behaviour-linking quality on the gold threads, and linker speed on the real archive.

    .venv/bin/python benchmarks/behaviour_quality.py [--gold DIR] [--verbose]
    .venv/bin/python benchmarks/behaviour_quality.py --speed 3000 [--archive PATH]

Quality: precision/recall/F1 over (message_id, behaviour id) pairs per gold thread, as
gold/FORMAT.md defines them (predicted ids outside the shared catalogue are left out).
Own text comes from analyzer.segment.segment_body when it exists, else from a stopgap
(lines not starting with ">", cut at a diff, a signature or a list footer).

Speed: words per second of spacy.blank("en") alone and with the linker added, over the own
text of the first N messages of the public-inbox archive.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.analysis.catalogue import load_catalogue  # noqa: E402
from analyzer.ingest.mbox import ExpansionCap, read_mbox_file  # noqa: E402
from analyzer.mail.parse import ParsePolicy, parse_raw  # noqa: E402
from analyzer.nlp.behaviours import BehaviourLinker, mentions_in, patch_additions  # noqa: E402
from analyzer.records import Message, RawMail  # noqa: E402

SHARED = ROOT.parent / "shared"
_END_OF_PROSE = re.compile(r"^(?:diff --git |---\s*$|-- ?$|_{20,}$|Index: )")


def stopgap_own_text(body: str) -> list[tuple[int, str]]:
    """(offset, text) blocks of own prose: unquoted lines up to the first diff/signature."""
    blocks: list[tuple[int, str]] = []
    offset = 0
    current: list[str] = []
    start = 0
    for line in body.splitlines(keepends=True):
        if _END_OF_PROSE.match(line):
            break
        if line.startswith(">"):
            if current:
                blocks.append((start, "".join(current)))
            current, start = [], offset + len(line)
        else:
            current.append(line)
        offset += len(line)
    if current:
        blocks.append((start, "".join(current)))
    return blocks


def own_text_reader(
    stopgap: bool = False, with_added: bool = False
) -> tuple[str, Callable[[Message], list[tuple[int, str]]]]:
    try:
        from analyzer.segment import segment_body
    except ImportError:
        stopgap = True
    if stopgap:
        return "stopgap", lambda message: stopgap_own_text(message.body)

    def segmented(message: Message) -> list[tuple[int, str]]:
        segmentation = segment_body(message.message_id, message.body)
        blocks = [(own.start, own.text) for own in segmentation.own]
        for block in segmentation.blocks if with_added else ():
            if block.kind == "patch":
                blocks.append((block.start, patch_additions(message.body[block.start : block.end])))
        return blocks

    return "analyzer.segment.segment_body" + (" + patch_additions of patch blocks" if with_added else ""), segmented


def read_messages(path: Path) -> Iterator[Message]:
    for item in read_mbox_file(path, max_size=64 * 1024 * 1024, cap=ExpansionCap()):
        if isinstance(item, RawMail):
            parsed = parse_raw(item, ParsePolicy())
            if isinstance(parsed, Message):
                yield parsed


def score(gold: set[tuple[str, str]], predicted: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(gold & predicted)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "tp": tp,
            "fp": len(predicted - gold), "fn": len(gold - predicted)}


def quality(gold_dir: Path, verbose: bool, stopgap: bool, with_added: bool) -> int:
    nlp = spacy.blank("en")
    linker = BehaviourLinker(nlp, "mlpa_behaviours_v1", catalogue=load_catalogue())
    shared_ids = load_catalogue(SHARED / "behaviours.yaml").ids
    how, own_text = own_text_reader(stopgap, with_added)
    print(f"own text from: {how}")
    all_gold: set[tuple[str, str]] = set()
    all_predicted: set[tuple[str, str]] = set()
    for gold_file in sorted(gold_dir.glob("*.gold.jsonl")):
        lines = [json.loads(line) for line in gold_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        gold = {(line["message_id"], b) for line in lines for b in line["behaviours"]}
        predicted: set[tuple[str, str]] = set()
        for message in read_messages(gold_file.with_name(gold_file.name.replace(".gold.jsonl", ".mbox"))):
            for offset, text in own_text(message):
                doc = linker(nlp.make_doc(text))
                predicted |= {
                    (message.message_id, m.target)
                    for m in mentions_in(doc, message_id=message.message_id, offset=offset)
                    if m.kind == "behaviour" and m.target in shared_ids
                }
        result = score(gold, predicted)
        print(f"{gold_file.name.removesuffix('.gold.jsonl'):48} {json.dumps(result)}")
        if verbose:
            for message_id, behaviour in sorted(predicted - gold):
                print(f"    FP {message_id[:40]:40} {behaviour}")
            for message_id, behaviour in sorted(gold - predicted):
                print(f"    FN {message_id[:40]:40} {behaviour}")
        all_gold |= gold
        all_predicted |= predicted
    print(f"{'all threads (micro)':48} {json.dumps(score(all_gold, all_predicted))}")
    return 0


def archive_texts(archive: Path, count: int) -> list[str]:
    from analyzer.ingest.publicinbox import find_epochs, list_new_commits, read_epoch

    _, own_text = own_text_reader()
    texts: list[str] = []
    for epoch in find_epochs(archive):
        commits = list_new_commits(epoch, None)[:count - len(texts)]
        for item in read_epoch(epoch, commits, max_size=8 * 1024 * 1024, list_hint=None):
            parsed = parse_raw(item, ParsePolicy()) if isinstance(item, RawMail) else None
            if isinstance(parsed, Message):
                texts += [text for _, text in own_text(parsed) if text.strip()]
        if len(texts) >= count:
            break
    return texts


def speed(archive: Path, count: int) -> int:
    texts = archive_texts(archive, count)
    nlp = spacy.blank("en")
    linker = BehaviourLinker(nlp, "mlpa_behaviours_v1", catalogue=load_catalogue())
    started = time.perf_counter()
    docs = [nlp.make_doc(text) for text in texts]
    tokenize = time.perf_counter() - started
    words = sum(len(doc) for doc in docs)
    started = time.perf_counter()
    mentions = sum(len(linker(doc).spans["mlpa_mentions"]) for doc in docs)
    link = time.perf_counter() - started
    print(f"{len(texts)} own-text blocks, {words} tokens, {mentions} mentions")
    print(f"blank tokenizer:      {words / tokenize:12,.0f} words/s")
    print(f"linker alone:         {words / link:12,.0f} words/s")
    print(f"tokenizer + linker:   {words / (tokenize + link):12,.0f} words/s "
          f"({tokenize / (tokenize + link):.0%} of tokenizer speed)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=SHARED / "gold")
    parser.add_argument("--verbose", "-v", action="store_true", help="list false positives and negatives")
    parser.add_argument("--stopgap", action="store_true", help="own text = unquoted lines, not the segmenter")
    parser.add_argument("--with-added", action="store_true", help="also link what patch blocks add (patch_additions)")
    parser.add_argument("--speed", type=int, metavar="N", help="measure speed on N archive messages instead")
    parser.add_argument("--archive", type=Path, default=SHARED / "archives" / "kvmarm-columbia-0.git")
    args = parser.parse_args()
    if args.speed:
        return speed(args.archive, args.speed)
    return quality(args.gold, args.verbose, args.stopgap, args.with_added)


if __name__ == "__main__":
    raise SystemExit(main())
