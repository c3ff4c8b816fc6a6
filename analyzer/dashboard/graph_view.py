"""The Thread page's graph in the browser: Graphviz's SVG placed in the page (a Streamlit
``components.v2`` element: no frame, no graph library), a click on a node sent back as
the node's id, the chosen node outlined.

The SVG comes from :func:`analyzer.dashboard.graph_drawing.graph_svg`: Graphviz escapes
every label and tooltip, and node ids are hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import streamlit as st

_CSS = """
.mlpa-graph { max-height: 640px; overflow: auto; border: 1px solid rgba(128, 128, 128, 0.25);
              border-radius: 0.5rem; padding: 4px; }
.mlpa-graph svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
.mlpa-graph g.node { cursor: pointer; }
.mlpa-graph g.node:hover polygon, .mlpa-graph g.node:hover ellipse, .mlpa-graph g.node:hover path { stroke-width: 3; }
.mlpa-graph g.node.mlpa-chosen polygon, .mlpa-graph g.node.mlpa-chosen ellipse,
.mlpa-graph g.node.mlpa-chosen path { stroke: #f1c40f; stroke-width: 4; }
"""

_JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let box = parentElement.querySelector('.mlpa-graph');
  if (!box) {
    box = document.createElement('div');
    box.className = 'mlpa-graph';
    box.setAttribute('data-testid', 'mlpaGraph');
    parentElement.appendChild(box);
  }
  if (box.getAttribute('data-drawn') !== data.key) {
    box.innerHTML = data.svg;
    box.setAttribute('data-drawn', data.key);
    // A graph much wider than the pane keeps its own size (the pane scrolls): shrunk to
    // fit, a 180-message reply tree would be unreadable.
    const svg = box.querySelector('svg');
    const natural = svg && svg.viewBox.baseVal ? svg.viewBox.baseVal.width * 4 / 3 : 0;
    if (svg && 0.6 * natural > box.clientWidth) {
      svg.style.maxWidth = 'none';
      svg.style.width = Math.round(0.6 * natural) + 'px';
      svg.style.margin = '0';
    }
    box.querySelectorAll('g.node').forEach((node) => {
      node.addEventListener('click', (event) => {
        event.preventDefault();
        setTriggerValue('clicked', node.id);
      });
    });
  }
  box.querySelectorAll('g.node').forEach((node) => node.classList.toggle('mlpa-chosen', node.id === data.chosen));
}
"""

_GRAPH = st.components.v2.component("mlpa_thread_graph", css=_CSS, js=_JS, isolate_styles=False)


def graph(svg: str, *, key: str, chosen_key: str) -> str | None:
    """Draw ``svg`` (redrawn in place whenever it changes: a map opened up, a confidence
    cut-off); return the id of the node clicked in this run (None when no click).
    The clicked node is kept in ``st.session_state[chosen_key]`` (before the run draws the
    graph, so the outline follows the click at once) and outlined until another click."""
    def remember() -> None:
        value = st.session_state.get(key)
        clicked = value.get("clicked") if isinstance(value, Mapping) else None
        if clicked:
            st.session_state[chosen_key] = str(clicked)

    result: Any = _GRAPH(data={"svg": svg, "key": hashlib.sha1(svg.encode()).hexdigest(), "chosen": st.session_state.get(chosen_key) or ""}, key=key,
                         on_clicked_change=remember)
    clicked = getattr(result, "clicked", None)
    return str(clicked) if clicked else None
