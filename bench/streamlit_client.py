"""Streamlit's own protocol without a browser: the simulated sessions of ``bench/load.py``.

A ``Session`` is to the server what the browser's Streamlit frontend is, minus the drawing. It
opens the websocket stream ``/_stcore/stream`` (subprotocol ``streamlit``), asks for runs with
``BackMsg.rerun_script`` (a ``ClientState``: the page's name or script hash, the query string,
the widget states, the fragment to rerun, the hashes of the large messages it holds) and reads
the ``ForwardMsg`` stream, with the protobuf classes that ship in the ``streamlit`` package:

* ``new_session`` starts a run (``metadata.run``: its id and the fragments it reruns); it names
  the main script's hash, and ``navigation`` (an app with ``st.navigation``) the page's: the
  page's hash goes back with every later rerun (with the main script's, a fragment rerun reads
  as a page switch, and the server drops the page's widget values);
* ``delta`` messages carry the page's elements and blocks at their delta paths; a widget's id,
  its proto (value, range, label) and its fragment id are read from them. Large elements
  (``metadata.cacheable``) are kept and reported back, so the server sends a ``ref_hash`` for
  them next time, as it does to a browser;
* ``page_info_changed`` carries the query string the page set (sent back with the next rerun,
  as the browser's address bar does);
* ``script_finished`` with the run's id ends it.

A widget change is a rerun that carries every widget value the session has set (as the frontend
sends them) and the widget's fragment id when it sits in an ``st.fragment``: a slider's value is
a ``double_array_value``, a custom component's a ``json_value`` (``slider_state``,
``json_state``). Each run records when its first image arrived (optionally the first after a
markdown text matching a pattern), when it ended, the texts it showed and any exception or error
alert. Every wait is bounded by the session's timeout; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

MAX_MESSAGE_BYTES = 256 * 2**20  # the server's own limit is 200 MB
DEFAULT_HELD_RUNS = 2  # how many runs a large message is held after it was last seen (server's default)


class ProtocolError(RuntimeError):
    """The server closed the stream, answered out of protocol, or a run did not end in time."""


@dataclass
class Widget:
    """A widget on the page as its last delta described it."""

    id: str
    kind: str  # the element's type: "slider", "component_instance", ...
    label: str  # a slider's label, a component's name
    path: tuple[int, ...]  # delta path: (0 main | 1 sidebar, index, index ...)
    fragment_id: str  # "" outside fragments
    proto: Any  # the widget's message (Slider, ComponentInstance, ...)

    @property
    def key(self) -> str | None:
        """The ``key=`` the script gave the widget, if any (the last part of its id)."""
        user_key = self.id.rsplit("-", 1)[-1] if self.id.startswith("$$ID-") else None
        return None if user_key in (None, "None") else user_key


@dataclass
class Run:
    """One script or fragment run as this client saw it; times in seconds from the request."""

    sent: float  # time.perf_counter() when the request went out
    first_image_s: float | None = None
    end_s: float | None = None
    status: str = ""  # the script_finished status, e.g. FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    messages: int = 0
    bytes: int = 0
    images: int = 0
    texts: list[str] = field(default_factory=list)  # headings and markdown, in order
    errors: list[str] = field(default_factory=list)  # exceptions and error alerts the page showed
    _armed: bool = True  # images count once the pattern's markdown has come


def slider_state(widget_id: str, value: float) -> WidgetState:
    """A one-thumb slider's value, as the frontend sends it."""
    state = WidgetState(id=widget_id)
    state.double_array_value.data.append(float(value))
    return state


def json_state(widget_id: str, value: Any) -> WidgetState:
    """A custom component's value (``Streamlit.setComponentValue``), as the frontend sends it."""
    return WidgetState(id=widget_id, json_value=json.dumps(value))


def stream_url(base_url: str) -> str:
    """The websocket stream of a server at ``http://127.0.0.1:PORT`` (no other host).

    Raises:
        ValueError: For a host other than 127.0.0.1.
    """
    parts = urlsplit(base_url)
    if parts.hostname != "127.0.0.1":
        raise ValueError(f"the load generator only talks to 127.0.0.1, not {parts.hostname!r}")
    return f"ws://127.0.0.1:{parts.port}{parts.path.rstrip('/')}/_stcore/stream"


class Session:
    """One simulated browser tab: a websocket session with the page model the runs need."""

    def __init__(self, base_url: str, timeout_s: float = 60.0) -> None:
        """Talk to ``base_url`` (``http://127.0.0.1:PORT``); no run may take longer than ``timeout_s``."""
        self.url = stream_url(base_url)
        self.timeout_s = timeout_s
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, Widget] = {}
        self.blocks: dict[tuple[int, ...], str] = {}  # delta path -> block type ("column", "expandable" ...)
        self.states: dict[str, WidgetState] = {}  # every widget value this session has set
        self._held: dict[str, tuple[ForwardMsg, int]] = {}  # hash -> (large message, run it was last seen)
        self._held_runs = DEFAULT_HELD_RUNS
        self._runs = 0
        self._ws: Any = None

    async def open(self, page: str = "", query: str = "", image_after: str | None = None) -> Run:
        """Connect and run ``page`` (its URL path: "" for the home page, "Map" ...) with ``query``."""
        self._ws = await asyncio.wait_for(
            websockets.connect(self.url, subprotocols=["streamlit"], max_size=MAX_MESSAGE_BYTES,
                               compression=None, ping_interval=None), self.timeout_s)
        self.query_string = query
        return await self._rerun(page_name=page, fragment_id="", image_after=image_after)

    async def change(self, widget: Widget, state: WidgetState, image_after: str | None = None) -> Run:
        """Set one widget's value and rerun what the browser would: its fragment, or the whole page."""
        self.states[widget.id] = state
        return await self._rerun(page_name="", fragment_id=widget.fragment_id, image_after=image_after)

    async def close(self) -> None:
        """Close the websocket (the server ends the session)."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    def find(self, kind: str, label: str | None = None, key: str | None = None) -> Widget:
        """The widget of this kind with this label or key.

        Raises:
            KeyError: If the page has none.
        """
        for w in self.widgets.values():
            if w.kind == kind and (label is None or w.label == label) and (key is None or w.key == key):
                return w
        raise KeyError(f"no {kind} widget labelled {label!r} with key {key!r} on the page; "
                       f"it has {sorted((w.kind, w.label) for w in self.widgets.values())}")

    def value(self, widget: Widget) -> float:
        """A one-thumb slider's current value: what this session set, else what the page sent."""
        if widget.id in self.states:
            return self.states[widget.id].double_array_value.data[0]
        proto = widget.proto
        return (proto.value if proto.set_value and proto.value else proto.default)[0]

    def inside(self, widget: Widget, block_type: str) -> bool:
        """Whether one of the widget's enclosing blocks is of ``block_type`` ("column", "expandable" ...)."""
        return any(self.blocks.get(widget.path[:i]) == block_type for i in range(2, len(widget.path)))

    async def _rerun(self, page_name: str, fragment_id: str, image_after: str | None) -> Run:
        if self._ws is None:
            raise ProtocolError("the session is not open")
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash
        cs.page_name = page_name
        cs.fragment_id = fragment_id
        cs.widget_states.widgets.extend(self.states.values())
        cs.cached_message_hashes.extend(self._held)
        run = Run(sent=time.perf_counter(), _armed=image_after is None)
        try:
            await self._ws.send(msg.SerializeToString())
            await asyncio.wait_for(self._read_run(run, re.compile(image_after) if image_after else None),
                                   self.timeout_s)
        except TimeoutError as e:
            raise ProtocolError(f"the run did not finish within {self.timeout_s:g} s") from e
        except websockets.ConnectionClosed as e:
            raise ProtocolError(f"the server closed the stream: {e}") from e
        return run

    async def _read_run(self, run: Run, pattern: re.Pattern[str] | None) -> None:
        """Read messages until this run's ``script_finished``."""
        run_id: str | None = None
        while True:
            raw = await self._ws.recv()
            now = time.perf_counter()
            msg = ForwardMsg.FromString(raw)
            run.messages += 1
            run.bytes += len(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                run_id = msg.metadata.run.script_run_id
                self.page_hash = msg.new_session.page_script_hash
                self._held_runs = msg.new_session.config.max_cached_message_age or DEFAULT_HELD_RUNS
                if not msg.metadata.run.fragment_ids:  # a full run redraws the page
                    self.widgets.clear()
                    self.blocks.clear()
            elif kind == "navigation":
                self.page_hash = msg.navigation.page_script_hash
            elif kind in ("delta", "ref_hash"):
                self._delta(msg, run, pattern, now)
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
            elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
                exc = msg.session_event.script_compilation_exception
                run.errors.append(f"{exc.type}: {exc.message}")
            elif kind == "script_finished" and run_id is not None and (
                    not msg.metadata.HasField("run") or msg.metadata.run.script_run_id == run_id):
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                run.end_s = now - run.sent
                run.status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                self._runs += 1
                self._held = {h: (m, r) for h, (m, r) in self._held.items() if self._runs - r <= self._held_runs}
                return

    def _delta(self, msg: ForwardMsg, run: Run, pattern: re.Pattern[str] | None, now: float) -> None:
        """Take in one delta (or a reference to a held one): the page model and the run's timings."""
        path = tuple(msg.metadata.delta_path)
        if msg.WhichOneof("type") == "ref_hash":
            if msg.ref_hash not in self._held:
                run.errors.append(f"the server referred to a message this client does not hold: {msg.ref_hash}")
                return
            full = self._held[msg.ref_hash][0]
        else:
            full = msg
            if msg.metadata.cacheable:
                self._held[msg.hash] = (msg, self._runs)
        if full.hash in self._held:
            self._held[full.hash] = (full, self._runs)
        delta = full.delta
        which = delta.WhichOneof("type")
        if which == "add_block":
            self.blocks[path] = delta.add_block.WhichOneof("type") or ""
            return
        if which != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind in ("markdown", "heading"):
            text = getattr(element, kind).body
            run.texts.append(text)
            if pattern is not None and pattern.search(text):
                run._armed = True
        elif kind == "imgs":
            run.images += 1
            if run._armed and run.first_image_s is None:
                run.first_image_s = now - run.sent
        elif kind == "exception":
            run.errors.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            run.errors.append(f"error shown: {element.alert.body}")
        proto = getattr(element, kind) if kind else None
        if proto is not None and "id" in proto.DESCRIPTOR.fields_by_name and proto.id:
            label = proto.label if "label" in proto.DESCRIPTOR.fields_by_name else getattr(
                proto, "component_name", "")
            self.widgets[proto.id] = Widget(proto.id, kind, label, path, delta.fragment_id, proto)
