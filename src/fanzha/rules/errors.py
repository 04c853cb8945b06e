"""Diagnostics for rule packs, rendered like a compiler (rustc style).

A rule pack is treated as source code: every problem found while loading, validating or compiling it becomes a
:class:`RuleDiagnostic` pointing at ``file:line:column``, and all of them are raised together in one
:class:`RulePackError` so an author fixes the whole file in one pass::

    error: unknown counter 'messages_per_acount'
      --> rules/default.yaml:12:26
       |
    12 |     condition: velocity("messages_per_acount", "10m") > 30
       |                          ^^^^^^^^^^^^^^^^^^^^^
       = help: did you mean 'messages_per_account'? declared counters: messages_per_account
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fanzha.kit.errors import InvalidInput


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A position in a source file; ``line`` and ``column`` count from 1, columns in characters."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class RuleDiagnostic:
    """One problem in a rule pack.

    Attributes:
        message: What is wrong, one line.
        location: Where; ``None`` when the problem concerns the file as a whole.
        hint: How to fix it, shown as ``= help: ...``.
        source_line: The text of the line at ``location`` (without its newline), shown under the arrow.
        length: How many characters the caret underlines (at least one).
    """

    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    source_line: str | None = None
    length: int = 1

    def render(self) -> str:
        """Render the diagnostic as rustc does: message, arrow with location, source line, caret, help."""
        out = [f"error: {self.message}"]
        if self.location is None:
            if self.hint:
                out.append(f"  = help: {self.hint}")
            return "\n".join(out)
        gutter = " " * len(str(self.location.line))
        out.append(f"{gutter}--> {self.location}")
        if self.source_line is not None:
            line_text = self.source_line.expandtabs(1)
            out.append(f"{gutter} |")
            out.append(f"{self.location.line} | {line_text}".rstrip())
            width = max(1, min(self.length, len(line_text) - self.location.column + 1))
            out.append(f"{gutter} | {' ' * (self.location.column - 1)}{'^' * width}")
        if self.hint:
            out.append(f"{gutter} = help: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for API error bodies."""
        body: dict[str, Any] = {"message": self.message}
        if self.location is not None:
            body["file"] = self.location.file
            body["line"] = self.location.line
            body["column"] = self.location.column
        if self.hint:
            body["hint"] = self.hint
        return body


class RulePackError(InvalidInput):
    """A rule pack (or fixture file) failed to load or compile; ``diagnostics`` lists every problem found.

    ``str(error)`` is the full rendered report; ``error.message`` a one-line summary.
    """

    code = "invalid_rule_pack"

    def __init__(self, diagnostics: list[RuleDiagnostic], *, filename: str = "<rules>") -> None:
        if not diagnostics:
            raise ValueError("RulePackError needs at least one diagnostic")
        self.diagnostics = sorted(diagnostics, key=_diagnostic_order)
        count = len(self.diagnostics)
        summary = f"{filename}: {count} error{'s' if count != 1 else ''} in rule pack"
        summary_zh = f"{filename}: 规则包中有 {count} 处错误"
        super().__init__(summary, details=[d.to_dict() for d in self.diagnostics], zh=summary_zh)

    def render(self) -> str:
        """All diagnostics, rendered and separated by blank lines, followed by a count."""
        rendered = "\n\n".join(d.render() for d in self.diagnostics)
        return f"{rendered}\n\n{self.message}"

    def __str__(self) -> str:
        return self.render()


def _diagnostic_order(diagnostic: RuleDiagnostic) -> tuple[int, int, int]:
    location = diagnostic.location
    if location is None:
        return (0, 0, 0)
    return (1, location.line, location.column)
