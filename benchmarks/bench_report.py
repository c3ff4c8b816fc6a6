"""Time to build and render the report of a 300-message thread, against a 30-message
baseline measured in the same run, so that the figure that matters is a ratio that does
not depend on the machine.

    .venv/bin/python benchmarks/bench_report.py [--messages 300] [--baseline 30] [--repeat 5] [--pdf]
        [--corpus 5000,21000]

With --corpus, also the size of the corpus report (`report --all`) for synthetic corpora
of about that many messages (threads of six messages whose people and behaviours grow
with the corpus), which must not grow with the number of threads.

Stages: argument graph (networkx), report model with Graphviz SVG and timeline SVG, HTML
(Jinja2), Markdown, and with --pdf the PDF (WeasyPrint). Threads are synthetic
(tests/debate_factory.py): every message states one or two positions and answers its parent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.debate import Debate  # noqa: E402
from analyzer.graph.build import build_graph  # noqa: E402
from analyzer.report.build import thread_report  # noqa: E402
from analyzer.report.html import environment, render_html  # noqa: E402
from analyzer.report.markdown import render_markdown  # noqa: E402
from analyzer.report.pdf import write_pdf  # noqa: E402
from analyzer.report.build import corpus_report  # noqa: E402
from tests.debate_factory import corpus_debate, large_debate  # noqa: E402


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` runs after one warm-up run, in seconds."""
    action()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def stages(debate: Debate, repeat: int, pdf: bool) -> dict[str, float]:
    thread_id = debate.threads[0].thread_id
    env = environment()
    report = thread_report(debate, thread_id, env)
    html = render_html(report, env)
    figures = {
        "graph": timed(lambda: build_graph(debate, [thread_id]), repeat),
        "model+svg": timed(lambda: thread_report(debate, thread_id, env), repeat),
        "html": timed(lambda: render_html(report, env), repeat),
        "markdown": timed(lambda: render_markdown(report), repeat),
    }
    figures["total"] = timed(lambda: render_html(thread_report(debate, thread_id, env), env), repeat)
    if pdf:
        with tempfile.TemporaryDirectory() as tmp:
            figures["pdf"] = timed(lambda: write_pdf(html, Path(tmp) / "r.pdf"), 1)
    return figures


def corpus_sizes(messages: list[int]) -> None:
    print(f"{'messages':>9} {'threads':>8} {'html KiB':>9} {'md KiB':>8} {'cited':>6} {'seconds':>8}")
    env = environment()
    for count in messages:
        debate = corpus_debate(max(count // 6, 1))
        start = time.perf_counter()
        report = corpus_report(debate, env)
        html = render_html(report, env)
        seconds = time.perf_counter() - start
        print(f"{len(debate.messages):>9} {len(debate.threads):>8} {len(html.encode()) / 1024:>9.0f} "
              f"{len(render_markdown(report).encode()) / 1024:>8.0f} {len(report.messages):>6} {seconds:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pdf", action="store_true", help="also time the PDF (slow)")
    parser.add_argument("--corpus", default="", help="comma-separated message counts: corpus report sizes")
    options = parser.parse_args()
    if options.corpus:
        corpus_sizes([int(n) for n in options.corpus.split(",")])
    base = stages(large_debate(options.baseline), options.repeat, options.pdf)
    big = stages(large_debate(options.messages), options.repeat, options.pdf)
    print(f"{'stage':<10} {options.baseline:>6} msgs {options.messages:>6} msgs   ratio")
    for stage, seconds in big.items():
        print(f"{stage:<10} {base[stage] * 1000:>8.1f} ms {seconds * 1000:>8.1f} ms {seconds / base[stage]:>7.1f}x")
    per_message = big["total"] / options.messages * 1000
    print(f"total per message at {options.messages}: {per_message:.2f} ms "
          f"(ratio {big['total'] / base['total']:.1f}x for {options.messages / options.baseline:.0f}x the messages)")


if __name__ == "__main__":
    main()
