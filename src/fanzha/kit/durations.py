"""Parse and print durations such as ``10m``, ``1h``, ``7d`` used by rule packs and settings."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str) -> int:
    """Return the number of seconds in ``text`` (``"10m"`` -> 600).

    Raises:
        ValueError: if ``text`` is not a positive whole number followed by s, m, h, d or w.
    """
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r}: expected a number and one of s, m, h, d, w (e.g. 10m)")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"invalid duration {text!r}: must be positive")
    return seconds


def format_duration(seconds: int) -> str:
    """Print ``seconds`` in the largest unit that divides it (600 -> ``"10m"``)."""
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
