"""Links written in free text (a loose pattern on purpose: lists normalise what it finds)."""

from __future__ import annotations

import re

_URL_IN_TEXT = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'，。！？、）)]+")


def urls_in_text(text: str) -> list[str]:
    """Links written in ``text`` (``http(s)://`` or ``www.``), in order, without duplicates."""
    lowered = text.lower()
    if "http" not in lowered and "www." not in lowered:
        return []  # most texts carry no link: skip the regular expression
    seen: dict[str, None] = {}
    for match in _URL_IN_TEXT.finditer(text):
        seen.setdefault(match.group(0).rstrip(".,;:!?"), None)
    return list(seen)
