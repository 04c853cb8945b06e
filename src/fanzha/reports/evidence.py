"""Evidence files uploaded with the report form: what they really are, and where their bytes are kept.

The browser's content type is not trusted: a file is accepted only when its first bytes say it is
one of :class:`EvidenceType` (PNG, JPEG, WebP, PDF, or UTF-8 text). Accepted files are stored by
content (``<data_dir>/evidence/sha256/ab/abcdef...``), so the same screenshot sent twice is kept once,
and the report references them like API evidence: hash, type, size and ``fanzha:evidence/sha256/<hex>``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from fanzha.reports.schemas import EvidenceType

EVIDENCE_DIR = "evidence"
URI_PREFIX = "fanzha:evidence/sha256/"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """One uploaded file as the report records it."""

    sha256: str
    type: EvidenceType
    size_bytes: int
    uri: str
    description: str


def sniff(data: bytes) -> EvidenceType | None:
    """The evidence type ``data`` really is, from its leading bytes; None when it is none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return EvidenceType.png
    if data.startswith(b"\xff\xd8\xff"):
        return EvidenceType.jpeg
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return EvidenceType.webp
    if data.startswith(b"%PDF-"):
        return EvidenceType.pdf
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _TEXT_CONTROL.search(text) else EvidenceType.text


def clean_filename(name: str | None) -> str:
    """The last path part of a browser-sent file name, without control characters, at most 200 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _CONTROL.sub("", base).strip()[:200]


def store(directory: Path, data: bytes, *, kind: EvidenceType, filename: str) -> EvidenceFile:
    """Keep ``data`` under its SHA-256 (written whole or not at all) and describe it."""
    digest = hashlib.sha256(data).hexdigest()
    target = directory / "sha256" / digest[:2] / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{digest}.{secrets.token_hex(4)}.part")
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    description = f"report form upload: {filename}" if filename else "report form upload"
    return EvidenceFile(digest, kind, len(data), URI_PREFIX + digest, description[:500])
