"""What the reliability checks share: a workspace (a copy of the corpus, a seeded embedding
cache, an index), the ``assistant`` command run as a subprocess with its configuration in the
environment, and a served web chat (``assistant serve``) to talk to through Gradio's client."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "assistant.app.cli"]
#: Lines of a server's log that mean something went wrong while serving.
ERROR_LINE = re.compile(r"^(?:ERROR|CRITICAL)\b|^Traceback \(most recent call last\)", re.MULTILINE)
#: Seconds a Gradio client waits for one HTTP response. The client's default (httpx's 5 s) also
#: bounds making a client (the app's config and API description) and joining the queue, which a
#: server answering many users on a loaded machine can take longer than: the check would fail
#: on the client, not on the server.
HTTP_TIMEOUT = 60.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "p50_s": round(percentile(seconds, 50), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "p99_s": round(percentile(seconds, 99), 3),
        "max_s": round(max(seconds), 3) if seconds else 0.0,
        "mean_s": round(statistics.fmean(seconds), 3) if seconds else 0.0,
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed_cache(source: Path | None, target: Path) -> None:
    """Start ``target`` from a consistent copy of the embedding cache ``source`` (if any)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source is None or not Path(source).is_file() or target.exists():
        return
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as s, sqlite3.connect(target) as d:
        s.backup(d)


@dataclass
class Workspace:
    """A folder of its own for one check: corpus copy, cache, index, logs."""

    base: Path
    corpus_source: Path
    cache_source: Path | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.corpus = self.base / "corpus"
        if not self.corpus.exists():
            shutil.copytree(self.corpus_source, self.corpus)
        self.index = self.base / "index"
        self.cache = self.base / "cache" / "embeddings.sqlite"
        self.uploads = self.corpus
        self.logs = self.base / "logs"
        self.logs.mkdir(exist_ok=True)
        seed_cache(self.cache_source, self.cache)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment that points ``assistant`` at this workspace."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update({
            "ASSISTANT_CONFIG": str(self.base / "no-config.toml"),
            "ASSISTANT_PATHS_CORPUS": str(self.corpus),
            "ASSISTANT_PATHS_INDEX": str(self.index),
            "ASSISTANT_PATHS_CACHE": str(self.cache),
            "ASSISTANT_PATHS_UPLOADS": str(self.uploads),
            "ASSISTANT_PATHS_FEEDBACK": str(self.base / "feedback.sqlite"),
            "ASSISTANT_PATHS_EVAL_CORPUS": str(self.corpus),
            "ASSISTANT_PATHS_EVAL_INDEX": str(self.base / "index-eval"),
            "HF_HUB_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        })
        env.update(self.env_extra)
        env.update(extra)
        return env

    def index_cmd(self, *args: str) -> list[str]:
        return [*CLI, "index", *args]

    def build(self, timeout: float = 1800, **env: str) -> dict[str, Any]:
        """``assistant index --json`` on the workspace; returns the summary."""
        proc = subprocess.run(self.index_cmd("--json"), env=self.env(**env), cwd=self.base, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"assistant index failed ({proc.returncode}): {proc.stderr[-2000:]}")
        return json.loads(proc.stdout)


class Server:
    """``assistant serve`` on a free port of this machine, its output in a log file."""

    def __init__(self, ws: Workspace, auth: tuple[str, str] | None = None, concurrency: int = 8, **env: str):
        self.ws = ws
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.auth = auth
        extra = {"ASSISTANT_SERVER_PORT": str(self.port), "ASSISTANT_SERVER_HOST": "127.0.0.1", "ASSISTANT_SERVER_CONCURRENCY": str(concurrency)}
        if auth:
            extra |= {"ASSISTANT_SERVER_USERNAME": auth[0], "ASSISTANT_SERVER_PASSWORD": auth[1]}
        self.log_path = ws.logs / f"serve-{self.port}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen([*CLI, "serve"], env=ws.env(**extra, **env), cwd=ws.base, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait(self, timeout: float = 300) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"assistant serve exited ({self.proc.returncode}): {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    if r.status in (200, 401):
                        return self
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"assistant serve did not come up in {timeout:.0f} s: {self.log()[-2000:]}")

    def client(self, attempts: int = 3) -> Any:
        """A Gradio client of this server, waiting up to :data:`HTTP_TIMEOUT` per response;
        making one is tried ``attempts`` times."""
        from gradio_client import Client

        for attempt in range(attempts):
            try:
                return Client(self.url, auth=self.auth, verbose=False, download_files=False, httpx_kwargs={"timeout": HTTP_TIMEOUT})
            except Exception:
                if attempt == attempts - 1:
                    raise
                time.sleep(2.0 * (attempt + 1))
        raise AssertionError("unreachable")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def errors(self) -> list[str]:
        """Error lines and tracebacks the server logged."""
        text = self.log()
        return [m.group(0) + text[m.end() : m.end() + 300].split("\n\n")[0] for m in ERROR_LINE.finditer(text)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(20)
        self._log.close()

    def __enter__(self) -> Server:
        return self.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def raw_ask(url: str, question: str, history: Sequence[Any] = (), timeout: float = 120, opener: Any = None) -> Any:
    """``/ask`` through Gradio's HTTP API with the request body escaped as ASCII JSON: unlike the
    Python client, it can send what a browser can (lone surrogates included)."""
    body = json.dumps({"data": [question, list(history)]}, ensure_ascii=True).encode("ascii")
    open_ = (opener or urllib.request.build_opener()).open
    req = urllib.request.Request(url.rstrip("/") + "/gradio_api/call/ask", data=body, headers={"Content-Type": "application/json"})
    with open_(req, timeout=timeout) as r:
        event = json.loads(r.read())["event_id"]
    with open_(url.rstrip("/") + f"/gradio_api/call/ask/{event}", timeout=timeout) as r:
        stream = r.read().decode("utf-8")
    kind, data = "", ""
    for line in stream.splitlines():
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
            if kind in ("complete", "error"):
                break
    if kind != "complete":
        raise RuntimeError(f"/ask ended with {kind or 'nothing'}: {data[:200]}")
    value = json.loads(data)
    return value[0] if isinstance(value, list) and value else value


def failed_answer(answer: Any) -> str:
    """Why a ``/ask`` result is a failure (an exception, the generic error message), or ""."""
    if isinstance(answer, BaseException):
        return f"{type(answer).__name__}: {answer}"[:300]
    if not isinstance(answer, Mapping):
        return f"not an answer record: {type(answer).__name__}"
    text = str(answer.get("text", ""))
    if answer.get("kind") == "error" or "문제가 생겼습니다" in text or "went wrong" in text.lower():
        return f"error answer: {text[:200]}"
    return ""


def same_answer(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The same answer record but for its timings."""
    return {k: v for k, v in a.items() if k != "timings"} == {k: v for k, v in b.items() if k != "timings"}
