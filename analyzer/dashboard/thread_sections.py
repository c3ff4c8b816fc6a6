"""The Thread page's sections, one function each, all taking a :class:`ThreadContext`.

The page script (``pages/thread.py``) only lists them in order, so a section can be added
(or moved) with one line there and one function here or in a module of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import streamlit as st

from analyzer.dashboard import charts, graph_view, loaders, widgets
from analyzer.dashboard.digest import CampView, Digest, Voice
from analyzer.dashboard.markup import indented, markdown_text
from analyzer.display import shorten

PAGE_SIZE = 20
NOTE_KEY = "clicked_note"
"""Session state: (message id, the clicked map node's claim with its score and signals)."""
CHOSEN_KEY = "graph_chosen_node"
"""Session state: the graph node clicked last (outlined on the graph)."""


@dataclass(frozen=True, slots=True)
class ThreadContext:
    db: widgets.Db
    thread_id: str
    cutoff: float = 0.0
    """Labels below this confidence are hidden in every section."""

    @property
    def scope(self) -> tuple[str, ...]:
        return (self.thread_id,)


def _show(message_id: str) -> None:
    st.session_state[widgets.MESSAGE_KEY] = message_id


def header(ctx: ThreadContext) -> None:
    shown = loaders.debate(ctx.db.path, ctx.db.rev, ctx.scope)
    thread = shown.thread(ctx.thread_id)
    st.title(markdown_text(thread.root_subject) or "Thread")
    people = sorted({m.author_name for m in shown.messages.values()})
    st.caption(markdown_text(f"{len(shown.messages)} messages · {(thread.first_date or '?')[:10]} → "
                             f"{(thread.last_date or '?')[:10]} · {', '.join(people[:12])}"
                             f"{' …' if len(people) > 12 else ''}"))


def confidence(ctx: ThreadContext) -> None:
    """How many labels the cut-off hides, and how to read the scores shown."""
    _, hidden = loaders.shown(ctx.db.path, ctx.db.rev, ctx.scope, ctx.cutoff)
    st.caption(f"{markdown_text(hidden.sentence())} Set the cut-off in the sidebar. Each label shows its score "
               "(0–1) and the signals that fired: model (a learned head's probability), rule cue, structure "
               "(trailers, series postings).")


def digest(ctx: ThreadContext) -> None:
    """Outcome, camps with each person's strongest sentence, contested claims, behaviours."""
    found = loaders.digest(ctx.db.path, ctx.db.rev, ctx.thread_id, ctx.cutoff)
    _outcome(found)
    st.subheader("Camps")
    if not found.camps:
        st.info("Nobody argued a policy position in this thread." if ctx.cutoff <= 0 else
                f"No policy position was argued with a confidence of {ctx.cutoff:.2f} or more.")
    for camp in found.camps[:5]:
        _camp(camp, ctx.thread_id)
    if len(found.camps) > 5:
        st.caption(f"{len(found.camps) - 5} more positions were argued by fewer people; see the argument map.")
    left, right = st.columns(2)
    with left:
        st.subheader("Most contested claims")
        if not found.contested:
            st.caption("No claim drew disagreement.")
        for index, c in enumerate(found.contested):
            st.button(f"**{markdown_text(c.person)}** ({c.position}, {c.stance}) ↗", key=f"contested_{ctx.thread_id}_{index}",
                      type="tertiary", on_click=_show, args=(c.message_id,), help="Read the message")
            st.markdown(f"“{markdown_text(shorten(c.sentence, 240))}” — :red[{c.disagree} disagree], "
                        f":orange[{c.mixed} mixed], :green[{c.agree} agree]")
            st.caption(f"score {markdown_text(c.why)}")
    with right:
        st.subheader("Behaviours argued")
        if not found.behaviours:
            st.caption("No behaviour of the catalogue is named.")
        for b in found.behaviours:
            st.markdown(f"- **{markdown_text(b.behaviour)}**: {b.messages} messages"
                        f"{' — ' + markdown_text(', '.join(b.people[:5])) if b.people else ''}")


def _outcome(found: Digest) -> None:
    o = found.outcome
    colour = charts.OUTCOME_COLOURS[o.kind]
    detail = f" by {o.by}" if o.by else ""
    when = f" on {(o.date or '')[:10]}" if o.date else ""
    st.markdown(f"### Outcome: :{_streamlit_colour(colour)}-background[{o.kind}]{markdown_text(detail + when)}")
    if o.message_id:
        st.markdown(f"“{markdown_text(shorten(o.evidence, 300))}”")
        if o.why:
            st.caption(f"score {markdown_text(o.why)}")
        st.button("Read the deciding message ↗", key="outcome_evidence", type="tertiary", on_click=_show,
                  args=(o.message_id,))
    st.caption("Outcome rule: the latest applied / NAK / changes-requested / withdrawn decision wins; within one "
               "message a NAK outranks a request for changes, which outranks applying; a withdrawal after a NAK "
               "leaves it NAKed. Acks, reviews and policy rulings do not settle a thread.")


def _streamlit_colour(hex_colour: str) -> str:
    return {charts.GREEN: "green", charts.RED: "red", charts.AMBER: "orange", charts.GREY: "gray",
            charts.BLUE: "blue"}.get(hex_colour, "gray")


def _camp(camp: CampView, thread_id: str) -> None:
    with st.container(border=True):
        st.markdown(f"**{markdown_text(camp.position)}** — {len(camp.supporters)} for, {len(camp.opponents)} against"
                    f"{f', {len(camp.divided)} divided' if camp.divided else ''}")
        columns = st.columns(3 if camp.divided else 2)
        for column, (side, voices) in zip(columns, (("for", camp.supporters), ("against", camp.opponents),
                                                     ("divided", camp.divided))):
            with column:
                colour = "green" if side == "for" else "red" if side == "against" else "orange"
                st.markdown(f":{colour}[**{side}**]")
                for index, voice in enumerate(voices[:4]):
                    _voice(voice, key=f"voice_{thread_id}_{camp.position}_{side}_{index}")
                if len(voices) > 4:
                    st.caption(f"and {len(voices) - 4} more")


def _voice(voice: Voice, *, key: str) -> None:
    """The person (a click opens the message of their strongest sentence) and that sentence."""
    st.button(f"**{markdown_text(voice.person)}** ({voice.claims} claim{'s' if voice.claims != 1 else ''}) ↗", key=key, type="tertiary", on_click=_show,
              args=(voice.message_id,), help="Read the message")
    st.caption(f"“{markdown_text(shorten(voice.sentence, 220))}” — score {markdown_text(voice.why)}")


def argument_map(ctx: ThreadContext) -> None:
    """The layered argument map (or the reply tree) beside the message panel."""
    cards = loaders.thread_messages(ctx.db.path, ctx.db.rev, ctx.thread_id, ctx.cutoff)
    labels = {card.message_id: card.label for card in cards}
    view = st.segmented_control(
        "Graph", ["map", "replies"], default="map", key="thread_graph_view",
        format_func={"map": "Argument map", "replies": "Who answered whom"}.__getitem__,
    ) or "map"
    expanded_key = f"map_expanded_{ctx.thread_id}"
    expanded = tuple(st.session_state.get(expanded_key, ()))
    graph = loaders.graph_elements(ctx.db.path, ctx.db.rev, ctx.thread_id, cast(charts.GraphView, view),
                                   expanded if view == "map" else (), ctx.cutoff)
    if graph.node_count == 0 and view == "map":
        st.caption("Nobody argued a position here: showing who answered whom.")
        view = "replies"
        graph = loaders.graph_elements(ctx.db.path, ctx.db.rev, ctx.thread_id, "replies", (), ctx.cutoff)
    left, right = st.columns([3, 2])
    with left:
        # One element per thread and view, redrawn in place when a click opens the map up
        # (a new key would leave the old drawing on the page until the run ends).
        key = f"graph-{view}-{ctx.thread_id}"
        svg = loaders.graph_svg(ctx.db.path, ctx.db.rev, ctx.thread_id, cast(charts.GraphView, view),
                                expanded if view == "map" else (), ctx.cutoff)
        clicked = graph_view.graph(svg, key=key, chosen_key=CHOSEN_KEY)
        hidden = f"; {graph.hidden} more left out (click a person or position to open it up)" if graph.hidden else ""
        st.caption(f"{graph.node_count} nodes{hidden}. Click a node to read its message. "
                   "Positions → people (green for, red against, amber divided) → their strongest claims.")
    _on_click(graph, clicked, expanded_key, expanded)
    if st.session_state.get(widgets.MESSAGE_KEY) not in labels:
        linked = st.query_params.get("message")
        st.session_state[widgets.MESSAGE_KEY] = linked if linked in labels else next(iter(labels))
    with right:
        message_id = st.selectbox("Message", list(labels), key=widgets.MESSAGE_KEY, format_func=labels.__getitem__)
        st.query_params["message"] = message_id
        note = st.session_state.get(NOTE_KEY)
        if note and note[0] == message_id:
            st.caption(f"Clicked: {markdown_text(note[1])}")
        st.html(next(card.open_html for card in cards if card.message_id == message_id))


def _on_click(graph: charts.GraphElements, node: str | None, expanded_key: str, expanded: tuple[str, ...]) -> None:
    """A click on a node shows its message (and the claim behind it); on a person or a
    position it also opens that node up."""
    if node is None:
        return
    clicked = charts.clicked_message(graph, node)
    if clicked:
        st.session_state[widgets.MESSAGE_KEY] = clicked
        st.session_state[NOTE_KEY] = (clicked, graph.notes[node]) if node in graph.notes else None
    opens = graph.expands.get(node)
    if opens and opens not in expanded:
        st.session_state[expanded_key] = (*expanded, opens)
        st.rerun()


def timeline(ctx: ThreadContext) -> None:
    st.subheader("Timeline")
    st.caption("One lane per person; hover a mark for its message, sentence and score. Shapes: ● message, "
               "▼ position first argued, ◆ decision, ■ new version, ▲ merged commit.")
    st.html(loaders.timeline_html(ctx.db.path, ctx.db.rev, ctx.thread_id, ctx.cutoff))


def messages(ctx: ThreadContext) -> None:
    cards = loaders.thread_messages(ctx.db.path, ctx.db.rev, ctx.thread_id, ctx.cutoff)
    st.subheader("Messages")
    offset = widgets.pager(len(cards), PAGE_SIZE, key="thread_page", noun="messages")
    st.html("".join(indented(card.html, card.depth, card.message_id) for card in cards[offset: offset + PAGE_SIZE]))
