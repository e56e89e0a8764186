"""Exports of a conversation (Markdown) for staff to keep or pass on."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import Answer


def conversation_markdown(answers: Sequence[Answer], title: str = "대화 기록") -> str:
    """A conversation as Markdown: each question, its answer and its numbered sources."""
    lines = [f"# {title}", ""]
    for i, a in enumerate(answers, start=1):
        lines += [f"## {i}. {a.question}", ""]
        if a.query and a.query != a.question:
            lines += [f"*질문 해석: {a.query}*", ""]
        lines += [a.text, ""]
        for t in a.tables:
            lines += [f"**{t.title}**" + (f" (단위: {t.unit})" if t.unit else ""), ""]
            if t.columns:
                lines += ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
            lines += ["| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in row) + " |" for row in t.rows]
            lines.append("")
        if a.citations:
            lines.append("출처:" if not a.abstained else "가장 가까운 구절:")
            for c in a.citations:
                quote = c.excerpt[c.highlight[0] : c.highlight[1]].replace("\n", " ")
                where = f", {c.locator}" if c.locator else ""
                lines.append(f"[{c.number}] {c.title} — {' > '.join(c.section_path)} ({c.doc_id}, {c.start}–{c.end}자{where}): \"{quote}\"")
            lines.append("")
    return "\n".join(lines)
