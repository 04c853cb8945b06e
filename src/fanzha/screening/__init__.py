"""Screening: evasion-robust Chinese and English fraud and card-trading detection (issue 4).

A pure library (no database): ``screen(text, kind)`` normalises the text, extracts indicators,
matches the lexicons and scores it with small linear models shipped as files. Models and lexicons
load lazily, once, on first use.
"""

from fanzha.screening.indicators import Indicator
from fanzha.screening.lexicon import Match
from fanzha.screening.pipeline import KINDS, MAX_CHARS, ScreeningResult, screen, screen_many

__all__ = ["KINDS", "MAX_CHARS", "Indicator", "Match", "ScreeningResult", "screen", "screen_many"]
