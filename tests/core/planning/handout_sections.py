"""Split a handout into sections and paragraphs of plain prose, so each can be measured.

Measuring whole sections would let a short, easy paragraph hide a hard one, so every
paragraph (and the title) is measured on its own.
"""

from __future__ import annotations

import re

import textstat


def _sentence(line: str) -> str:
    line = re.sub(r"[*_`]", "", line).lstrip("- ").strip()
    return line if not line or line[-1] in ".!?:" else line + "."


def paragraphs(markdown: str) -> list[tuple[str, str]]:
    """(section heading, paragraph prose) pairs; bullets become sentences, markup is dropped."""
    out: list[tuple[str, str]] = []
    heading = ""
    block: list[str] = []

    def flush() -> None:
        text = " ".join(s for s in block if s)
        if text:
            out.append((heading, text))
        block.clear()

    for raw in markdown.splitlines():
        if raw.startswith("#"):
            flush()
            heading = raw.lstrip("# ").strip()
            if raw.startswith("# "):  # the title is measured; one-word headings would skew the formula
                out.append((heading, _sentence(heading)))
        elif not raw.strip():
            flush()
        else:
            block.append(_sentence(raw))
    flush()
    return out


def grade(text: str) -> float:
    """Flesch-Kincaid grade level (US school grade)."""
    return float(textstat.flesch_kincaid_grade(text))
