"""The notebooks run top to bottom on the sample corpus (nbclient, a real kernel), and what
their last cell prints agrees with the store and corpus/MANIFEST.json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from analyzer import api
from analyzer.analysis.catalogue import load_taxonomy
from tests.conftest import CORPUS, ROOT

NOTEBOOKS = ROOT / "notebooks"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())


def _require(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        message = f"{module} is not installed (pip install nbclient nbformat ipykernel)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("notebooks") / "sample.db"
    api.sample_store(path).close()
    return path


def execute(name: str, db: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run the notebook in a fresh kernel; the JSON its last cell printed."""
    nbformat = _require("nbformat")
    nbclient = _require("nbclient")
    _require("ipykernel")
    monkeypatch.setenv("ANALYZER_DB", str(db))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "commit notebooks without outputs"
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    last = notebook.cells[-1]
    printed = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    facts: dict[str, Any] = json.loads(printed.strip().splitlines()[-1])
    return facts


def test_one_thread_notebook_walks_the_longest_thread(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = execute("01_one_thread.ipynb", sample_db, monkeypatch)
    longest = max(MANIFEST["threads"], key=lambda t: len(t["message_ids"]))
    assert facts["thread"] == longest["subject"]
    assert facts["messages"] == len(longest["message_ids"])
    with api.open_store(sample_db) as store:
        debate = api.load_debate(store, [longest["root_message_id"]])
    assert facts["claims"] == sum(len(a.claims) for a in debate.analyses.values()) > 0
    assert facts["decisions"] and set(facts["decisions"]) <= set(load_taxonomy().decision_ids)
    assert facts["events"] >= facts["messages"]


def test_corpus_notebook_finds_the_most_disputed_behaviour(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = execute("02_across_the_corpus.ipynb", sample_db, monkeypatch)
    assert facts["threads"] == len(MANIFEST["threads"])
    assert facts["messages"] == MANIFEST["unique_message_ids"]
    with api.open_store(sample_db) as store:
        debate = api.load_debate(store)
    behaviours = api.behaviour_frame(api.behaviour_index(api.argument_graph(debate)), debate)
    assert facts["top_behaviour"] == behaviours.iloc[0]["behaviour"]
    assert facts["top_disputes"] == behaviours["disputes"].max() > 0
    assert facts["decisions"] == sum(len(a.decisions) for a in debate.analyses.values())
