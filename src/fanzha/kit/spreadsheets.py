"""Cells written for spreadsheets (CSV exports): nothing a spreadsheet program would run as a formula."""

from __future__ import annotations

import re

_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9][0-9 ]*$")


def formula_safe(text: str) -> str:
    """``text`` quoted when a spreadsheet would read it as a formula (it starts with = + - @ or a tab or
    carriage return); signed plain numbers such as E.164 phone numbers are numbers and stay as they are."""
    if text and text[0] in "=+-@\t\r" and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text
