"""Fixtures of the web-chat tests: a small index in a temp folder, the app on a free localhost
port in a background thread, and a headless Debian Chromium driven by Playwright.

Nothing here touches the network: sockets may only connect to the loopback address, and the
browser aborts (and records) every request that does not go to the test server.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
SEOUL = ROOT.parent / "shared" / "seoul-docs"  # real Seoul documents beside the clone; a few are copied into the temp corpus
#: 공문서 the browser tests ask about: a plan cited by two payments that share their title, a payment that
#: cites another (its amount masked), and a 민원 reply whose value the city masked
SEOUL_DOCS = (
    "2025-01-16_청년사업담당관-566.hwpx", "2025-04-29_청년사업담당관-4366.hwpx", "2025-05-08_청년사업담당관-4640.hwpx",
    "2024-08-26_청년사업담당관-2093.hwpx", "2024-09-02_청년사업담당관-2302.hwpx", "2025-07-16_민원답변-19.hwpx",
)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
_STARTED = time.time()  # when this test session began
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}

log = logging.getLogger(__name__)
_blocked: list[Any] = []


@pytest.fixture(scope="session", autouse=True)
def loopback_only() -> Iterator[list[Any]]:
    """Refuse (and record) every socket connection that does not go to this machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def allowed(sock: socket.socket, address: Any) -> bool:
        return sock.family not in (socket.AF_INET, socket.AF_INET6) or str(address[0]) in LOOPBACK or str(address[0]).startswith("127.")

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(self, address):
            _blocked.append(address)
            raise OSError(f"tests/ui: network access to {address!r} is not allowed")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(self, address):
            _blocked.append(address)
            return 111
        return real_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield _blocked
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed_cache(target: Path) -> None:
    """Start the temp embedding cache from the repository's (a consistent SQLite copy), if there is one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = ROOT / "index" / "cache"
    if not src.is_file():
        return
    try:
        with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as s, sqlite3.connect(target) as d:
            s.backup(d)
    except sqlite3.Error as exc:  # an unusable cache only makes the build slower
        log.warning("not seeding the embedding cache: %s", exc)
        target.unlink(missing_ok=True)


def has_seoul_docs() -> bool:
    return all((SEOUL / n).is_file() for n in SEOUL_DOCS)


@dataclass
class UiServer:
    url: str
    assistant: Any
    app: Any
    cfg: Any
    base: Path
    timings: dict[str, float] = field(default_factory=dict)


def _capture_cli_evaluator(cfg: Any) -> Callable[[str, Any], dict[str, Any]]:
    """The evaluator ``assistant serve`` injects (built in ``cli.cmd_serve``), without serving."""
    import assistant.app.ui.app as ui_app
    from assistant.app import cli

    captured: dict[str, Any] = {}
    real_serve = ui_app.serve

    def fake_serve(cfg: Any, evaluate: Any = None, announce: Any = None) -> int:
        captured["evaluate"] = evaluate
        captured["announce"] = announce
        return 0

    ui_app.serve = fake_serve  # type: ignore[assignment]
    try:
        cli.cmd_serve(cfg, argparse.Namespace(index=None, host=None, port=None))
    finally:
        ui_app.serve = real_serve  # type: ignore[assignment]
    assert callable(captured.get("evaluate")), "cmd_serve must pass an evaluate callable to serve()"
    return captured["evaluate"]


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """The app over a temp index of corpus/ on a free port; the real evaluator of ``assistant serve``."""
    from assistant.answer import Answerer
    from assistant.app import Assistant, DocumentLibrary, FeedbackStore, Library
    from assistant.app.ui.app import build_app, launch, warm_up
    from assistant.config import Config
    from assistant.index.embedders import create_embedder
    from assistant.index.indexer import Indexer, IndexSettings

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    base = tmp_path_factory.mktemp("ui")
    # temp files of the app, Gradio's uploads and the evaluation reports stay inside pytest's temp folder
    saved_tempdir = tempfile.tempdir
    (base / "tmp").mkdir()
    tempfile.tempdir = str(base / "tmp")
    corpus = base / "corpus"
    shutil.copytree(CORPUS, corpus)
    if has_seoul_docs():
        for name in SEOUL_DOCS:
            shutil.copy(SEOUL / name, corpus / name)
    cache = base / "cache" / "embeddings.sqlite"
    _seed_cache(cache)
    cfg = Config().replace(**{
        "paths.corpus": [str(corpus)], "paths.index": str(base / "index"), "paths.cache": str(cache),
        "paths.eval_corpus": [str(corpus)], "paths.eval_index": str(base / "index-eval"),
        "paths.feedback": str(base / "feedback.sqlite"), "paths.uploads": str(base / "uploads"),
    })
    embedder = create_embedder()
    Indexer(cfg.paths.index, embedder, cache).build([corpus])
    timings["index"] = time.perf_counter() - t0
    library = Library((str(corpus),), cfg.paths.uploads, str(cache), IndexSettings(), cfg.server.max_upload_mb * 1024 * 1024)
    assistant = Assistant(
        Answerer(cfg.paths.index, embedder), DocumentLibrary(library, cfg.paths.index, embedder), FeedbackStore(cfg.paths.feedback)
    )
    warm_up(assistant)
    evaluate = _capture_cli_evaluator(cfg)
    app = build_app(assistant, evaluate)
    port = _free_port()
    t1 = time.perf_counter()
    launch(app, host="127.0.0.1", port=port, concurrency=8, max_upload_mb=cfg.server.max_upload_mb, block=False, quiet=True)
    timings["launch"] = time.perf_counter() - t1
    server = UiServer(f"http://127.0.0.1:{port}/", assistant, app, cfg, base, timings)
    try:
        yield server
    finally:
        app.close()
        app.handlers.close()
        tempfile.tempdir = saved_tempdir


@dataclass
class Browser:
    context: Any
    external: list[str]


@pytest.fixture(scope="session")
def browser(ui_server: UiServer) -> Iterator[Browser]:
    """Headless Debian Chromium with a fresh profile; requests off the test server are aborted."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-nanum")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="ui-chromium-")
    external: list[str] = []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, locale="ko-KR",
            viewport={"width": 1440, "height": 1000}, accept_downloads=True,
        )

        def route(r: Any) -> None:
            if r.request.url.startswith(ui_server.url.rstrip("/")) or r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                external.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        try:
            yield Browser(context, external)
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def _app_page(browser: Browser, ui_server: UiServer, viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A fresh page (a new Gradio session) with the app loaded; fails on dialogs or outside requests."""
    pg = browser.context.new_page()
    if viewport:
        pg.set_viewport_size(viewport)
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.set_default_timeout(30_000)
    pg.goto(ui_server.url)
    pg.wait_for_selector("#question textarea")
    pg.dialogs = dialogs
    try:
        yield pg
    finally:
        pg.close()
    assert not dialogs, f"a dialog was opened (script ran?): {dialogs}"
    assert not browser.external, f"the page requested outside addresses: {browser.external}"


@pytest.fixture
def page(browser: Browser, ui_server: UiServer) -> Iterator[Any]:
    """A fresh page at the browser's desktop size."""
    with _app_page(browser, ui_server) as pg:
        yield pg


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, ui_server: UiServer) -> Iterator[Any]:
    """A fresh page 390 px wide (a phone)."""
    with _app_page(browser, ui_server, PHONE) as pg:
        yield pg


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    # only this run's screenshots (an older file left in the folder is not evidence of this run)
    shots = sorted(s for s in SCREENSHOTS.glob("*.png") if s.stat().st_mtime >= _STARTED) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", "web chat screenshots")
        terminalreporter.write_line(f"{SCREENSHOTS} ({len(shots)} files from this run)")
        for s in shots:
            terminalreporter.write_line(f"  {s}")
    if _blocked:
        terminalreporter.write_line(f"blocked outside connections: {_blocked}")
