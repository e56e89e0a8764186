"""Optional rewriting of extractive answers by an OpenAI-compatible chat endpoint.

Off by default; nothing depends on it. The model sees only the cited passages and the
extractive answer, and may only cite those passages: markers that point to no retrieved
passage are dropped. On any error or timeout the extractive answer is returned unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import replace
from typing import Any

from ..records import Answer

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "당신은 서울시 공무원을 돕는 문서 도우미입니다. 아래 번호가 붙은 출처 구절만 사용해 질문에 한국어로 짧게 답하세요. "
    "사실마다 근거 출처 번호를 [1]처럼 붙이고, 출처에 없는 내용은 쓰지 마세요. 질문이 영어면 영어로 답하세요."
)
_MARKER = re.compile(r"\[(\d{1,2})\]")


class Generator:
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 20.0):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    @classmethod
    def from_config(cls, cfg: Any) -> Generator:
        if not cfg.base_url or not cfg.model:
            raise ValueError("generation is enabled but generation.base_url or generation.model is not set")
        return cls(cfg.base_url, cfg.model, os.environ.get(cfg.api_key_env, ""), cfg.timeout)

    def _messages(self, answer: Answer) -> list[dict[str, str]]:
        sources = "\n".join(f"[{c.number}] {c.title} — {' > '.join(c.section_path)}\n{c.excerpt}" for c in answer.citations)
        user = f"질문: {answer.question}\n\n출처:\n{sources}\n\n추출한 답: {answer.text}"
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def rewrite(self, answer: Answer) -> Answer:
        """The answer rewritten from its citations, or unchanged if anything goes wrong."""
        if not answer.citations:
            return answer
        body = json.dumps({"model": self.model, "messages": self._messages(answer), "temperature": 0}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        t0 = time.perf_counter()
        try:
            req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                data = json.loads(resp.read().decode("utf-8"))
            text = str(data["choices"][0]["message"]["content"]).strip()
        except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("generation failed, keeping the extractive answer: %s", exc)
            return answer
        valid = {c.number for c in answer.citations}
        text = _MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text).strip()
        if not text or not _MARKER.search(text):
            return answer  # an answer that cites nothing is not shown
        timings = dict(answer.timings)
        timings["generate_ms"] = (time.perf_counter() - t0) * 1000
        return replace(answer, text=text, timings=timings)
