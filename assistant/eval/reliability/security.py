"""Security of a served web chat with a login: every data route refuses a request without it,
no path (encoded, doubled, absolute, through the proxy) reads a file it should not, and markup
in questions, documents and file names is shown as text in a real browser (Debian Chromium
through Playwright; it never downloads a browser)."""

from __future__ import annotations

import http.cookiejar
import json
import logging
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .common import Server, Workspace

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]
#: Routes that hold or change data: each must answer 401 without a login.
DATA_ROUTES = (
    ("GET", "config"), ("GET", "gradio_api/info"), ("GET", "gradio_api/openapi.json"), ("GET", "gradio_api/queue/status"),
    ("GET", "gradio_api/queue/data?session_hash=x"), ("POST", "gradio_api/queue/join"), ("POST", "gradio_api/call/ask"),
    ("POST", "gradio_api/call/upload"), ("POST", "gradio_api/run/ask"), ("POST", "gradio_api/upload"),
    ("GET", "gradio_api/file=/etc/passwd"), ("GET", "gradio_api/proxy=http://127.0.0.1:1/"), ("GET", "monitoring"),
    ("GET", "gradio_api/call/ask/abc"), ("POST", "gradio_api/api/ask"),
)
#: Served to anyone by design (the login page and its static parts).
PUBLIC = (("GET", ""), ("GET", "theme.css"), ("GET", "manifest.json"), ("GET", "robots.txt"), ("GET", "favicon.ico"))
MARKUP = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script><b>굵게</b>'


def _request(opener: Any, url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body if method == "POST" else None, method=method, headers={"Content-Type": "application/json"})
    try:
        with opener.open(req, timeout=15) as r:
            return r.status, r.read(200_000)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000)
    except (OSError, ValueError) as exc:
        return 0, str(exc).encode()


def _login(url: str, auth: tuple[str, str]) -> Any:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    body = urllib.parse.urlencode({"username": auth[0], "password": auth[1]}).encode()
    req = urllib.request.Request(url + "login", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with opener.open(req, timeout=15) as r:
        assert json.loads(r.read()).get("success"), "login refused"
    return opener


def traversal_paths(ws: Workspace) -> list[str]:
    """Ways to ask the server for a file outside what it serves."""
    store = next(ws.index.glob("gen-*/store.sqlite"), ws.index / "x")
    targets = ["/etc/passwd", "/proc/self/environ", str(ws.cache), str(store), str(ws.base / "outside-secret.txt")]
    dots = ["../" * 8 + "etc/passwd", "..%2f" * 8 + "etc%2fpasswd", "%2e%2e/" * 8 + "etc/passwd", "%252e%252e%252f" * 8 + "etc%252fpasswd",
            "..\\" * 8 + "etc\\passwd", "....//" * 8 + "etc/passwd", "..%c0%af" * 8 + "etc/passwd", "%2e%2e%5c" * 8 + "etc%5cpasswd"]
    out = [f"gradio_api/file={t}" for t in targets]
    out += [f"gradio_api/file={urllib.parse.quote(t, safe='')}" for t in targets[:3]]
    out += [f"gradio_api/file={d}" for d in dots]
    out += [f"static/{d}" for d in dots[:3]] + [f"assets/{d}" for d in dots[:3]]
    out += [f"gradio_api/file=corpus/{'../' * 4}etc/passwd", "gradio_api/file=//etc/passwd", "gradio_api/file=file:///etc/passwd",
            "gradio_api/proxy=file:///etc/passwd", "gradio_api/file=index/../../../../etc/passwd"]
    return out


def _leaks(body: bytes, ws: Workspace) -> str:
    text = body.decode("utf-8", "replace")
    for marker, what in (("root:x:0:0", "/etc/passwd"), ("SQLite format 3", "an SQLite file"), ("ASSISTANT_PATHS_", "the environment"),
                         ("RELIABILITY-SECRET", "a file outside the corpus")):
        if marker in text:
            return what
    return ""


def run(ws: Workspace, browser: bool = True) -> dict[str, Any]:
    ws.build()
    (ws.base / "outside-secret.txt").write_text("RELIABILITY-SECRET\n", encoding="utf-8")
    auth = ("staff", secrets.token_urlsafe(12))
    result: dict[str, Any] = {}
    with Server(ws, auth=auth) as server:
        anon = urllib.request.build_opener()
        unprotected = []
        for method, route in DATA_ROUTES:
            status, body = _request(anon, server.url + route, method, b"{}")
            if status not in (401, 403, 404, 405) or _leaks(body, ws):
                unprotected.append(f"{method} /{route}: {status} {body[:80]!r}")
        root_status, root = _request(anon, server.url)
        if root_status != 200 or "우호교류" in root.decode("utf-8", "replace"):
            unprotected.append(f"GET /: {root_status} (the login page must hold no document data)")
        result["routes_checked"] = len(DATA_ROUTES) + 1
        result["routes_without_login"] = unprotected
        opener = _login(server.url, auth)
        status, _ = _request(opener, server.url + "config")
        result["login_works"] = status == 200
        traversal = traversal_paths(ws)
        served = []
        for path in traversal:
            status, body = _request(opener, server.url + path)
            leak = _leaks(body, ws)
            if leak or (status == 200 and path.startswith("gradio_api/file=")):
                served.append(f"/{path}: {status}" + (f" ({leak})" if leak else ""))
        result["traversal_forms"] = len(traversal)
        result["traversal_served"] = served
        result["bind_address"] = "127.0.0.1"
        if browser:
            result["browser"] = _browser(server, auth, ws)
        result["server_log_errors"] = len(server.errors())
    b = result.get("browser", {})
    result["passed"] = (not result["routes_without_login"] and result["login_works"] and not result["traversal_served"]
                        and (not browser or (b.get("ran") and not b.get("executed") and b.get("shown_as_text"))))
    return result


def _browser(server: Server, auth: tuple[str, str], ws: Workspace) -> dict[str, Any]:
    """Markup in a question, in a document's text and in its file name, shown in Chromium."""
    if not Path(CHROMIUM).exists():
        return {"ran": False, "why": f"{CHROMIUM} is missing (apt-get install chromium)"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"ran": False, "why": "playwright is not installed (pip install playwright)"}
    from gradio_client import handle_file

    doc = ws.base / "incoming" / f'{MARKUP[:40].replace("/", "_")}.txt'
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(f"마크업 시험 문서\n\n도시숲 조성 담당 부서는 {MARKUP} 녹지과이다. 도시숲 조성 예산은 30억원이다.\n", encoding="utf-8")
    uploaded = server.client().predict([handle_file(str(doc))], api_name="/upload")
    upload_ok = "색인에 반영" in str(uploaded[0] if isinstance(uploaded, (list, tuple)) else uploaded)
    out: dict[str, Any] = {"ran": True, "upload_with_markup_name_indexed": upload_ok}
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="ko-KR")
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server.url.rstrip("/")) or r.request.url.startswith(("data:", "blob:")) else r.abort())
            page.set_default_timeout(60_000)
            page.goto(server.url)
            page.locator("input[type=password]").wait_for()
            page.locator("input[type=text], input:not([type])").first.fill(auth[0])
            page.locator("input[type=password]").fill(auth[1])
            page.keyboard.press("Enter")
            page.wait_for_selector("#question textarea")
            page.fill("#question textarea", f"도시숲 조성 담당 부서는? {MARKUP}")
            page.click("#send")
            page.wait_for_function("() => document.querySelectorAll('#chat .answer').length > 0 && !document.querySelector('#chat .pending')",
                                   timeout=90_000)
            time.sleep(1.0)
            chat = page.inner_text("#chat")
            sources = page.inner_text("#sources-panel")
            page.click("#tab-docs-button") if page.locator("#tab-docs-button").count() else page.get_by_role("tab", name="문서 보기").click()
            time.sleep(1.0)
            docs_html = page.inner_text("#doc-table")
            out["executed"] = bool(page.evaluate("() => window.__xss || 0")) or bool(dialogs)
            out["dialogs"] = dialogs
            out["shown_as_text"] = "<img src=x" in chat and "<script>" in chat
            out["document_text_as_text"] = "<img src=x" in sources or "<script>" in sources
            out["file_name_as_text"] = "img src=x" in docs_html  # (Gradio drops "<" from uploaded names itself)
            out["injected_elements"] = page.evaluate("() => document.querySelectorAll('#chat img[src=x], #sources-panel img[src=x], #doc-table img[src=x]').length")
        finally:
            browser.close()
    out["executed"] = out.get("executed", False) or bool(out.get("injected_elements"))
    return out
