"""Add data: one lore thread (URL or Message-ID) from a configured archive host, or an
uploaded mbox (streamed to disk and size-checked as it is copied); stored, threaded and
analysed with progress shown, by the learned reading of the encoder chosen (as
`analyzer analyze --encoder`)."""

from collections.abc import Callable

import streamlit as st

from analyzer.dashboard import intake, loaders, widgets
from analyzer.dashboard.markup import markdown_text
from analyzer.dashboard.safety import Refused, fetch_ref
from analyzer.errors import AnalyzerError
from analyzer.progress import Progress

MIB = 1024 * 1024

cfg = widgets.config()
if cfg.sample:
    loaders.sample_store(str(cfg.db_path))
hosts = ", ".join(str(h) for h in cfg.allowed_hosts)
# The smaller of the dashboard's cap and Streamlit's own (server.maxUploadSize, MB), so
# the caption, the upload widget and the check below all state and apply the same limit.
cap = min(cfg.max_upload_bytes, int(st.get_option("server.maxUploadSize")) * MIB)
cap_mb = cap / MIB

st.title("Add data")
st.caption(markdown_text(f"Into {cfg.db_path}. Threads are fetched only from: {hosts}. Uploads up to {cap_mb:g} MB."))
ENCODERS = {"cascade": "cascade (default)", "minilm": "MiniLM", "static": "static (quickest)"}
encoder = st.segmented_control(
    "Sentence encoder of the analysis", list(intake.ENCODERS), default=intake.ENCODERS[0],
    format_func=ENCODERS.__getitem__, key="add_encoder",
    help="As `analyzer analyze --encoder`: cascade sends to all-MiniLM-L6-v2 only the sentences a static "
         "model2vec table's heads pick; minilm sends every candidate sentence; static reads with the table "
         "alone (about 6x cheaper than MiniLM, positions F1 0.21 against 0.27; docs/analysis.md). Threads of "
         "the store analysed with another encoder are read again with this one, as when switching --encoder.",
) or intake.ENCODERS[0]


def run(action: Callable[[Progress], intake.Added]) -> None:
    with st.status("Ingesting and analysing…", expanded=True) as status:
        try:
            added = action(widgets.StreamlitProgress())
        except AnalyzerError as exc:
            status.update(label="Failed", state="error")
            st.error(markdown_text(str(exc)))
            return
        status.update(label="Done", state="error" if added.problems else "complete")
    if added.problems:
        st.error(markdown_text(intake.fetch_problem("; ".join(added.problems))))
        with st.expander("Details"):
            st.code("\n".join(added.problems), language=None)
    elif intake.unprocessed(added):
        st.warning(markdown_text(intake.describe(added)))
    else:
        st.success(markdown_text(intake.describe(added)))


with st.form("lore_form"):
    target = st.text_input("Lore thread URL or Message-ID", placeholder="https://lore.kernel.org/kvmarm/<message-id>/")
    fetch = st.form_submit_button("Fetch and analyse")
if fetch:
    try:
        fetch_ref(target, cfg.allowed_hosts)
    except Refused as exc:
        st.error(markdown_text(str(exc)))
    else:
        run(lambda progress: intake.add_lore_thread(cfg, target, annotator=loaders.annotator(), progress=progress,
                                                    encoder=encoder))

uploaded = st.file_uploader("…or upload an mbox", key="upload", max_upload_size=max(1, int(cap_mb)))
if uploaded is not None and st.button("Ingest the upload", key="ingest_upload"):
    try:
        saved = intake.save_upload(cfg, uploaded.name, uploaded, cap=cap)
    except Refused as exc:
        st.error(markdown_text(str(exc)))
    else:
        name = uploaded.name
        run(lambda progress: intake.add_upload_file(cfg, name, saved, annotator=loaders.annotator(), progress=progress,
                                                    encoder=encoder))
