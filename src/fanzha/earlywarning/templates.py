"""Warning templates: what each fraud typology looks like and what not to do, in zh (canonical) and en.

The texts live in ``templates.yaml`` beside this module and are loaded once per process. Loading
checks what the 12381 practice and D3-INT-04 require of an official warning: every typology the rule
packs may name has both languages, and no text carries a link, a contact handle or a phone number.
A message is rendered from the template alone: nothing about the event or the other party goes
into it, so a warning cannot leak anyone's personal data.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from fanzha.rules.outcomes import GENERIC_TYPOLOGY, WARNING_TYPOLOGIES, WarningChannel

LOCALES = ("zh", "en")

# Links, contact handles and long digit runs (phone, card or account numbers). Short official
# numbers such as 110 stay allowed.
_FORBIDDEN = (
    ("a link", re.compile(r"(?ai)https?://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|top|xyz|cc|io|me|app)\b")),
    ("a phone or account number", re.compile(r"\d[\d\s-]{5,}\d")),
    ("a contact handle", re.compile(r"(?i)(微信|威信|wechat|weixin|vx|qq|扣扣|telegram)\s*[:：号]\s*\S")),
    ("an e-mail address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")),
)
_CJK = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’]"
_CJK_GAP = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")


class TemplateError(ValueError):
    """``templates.yaml`` is incomplete or breaks the content rules (a packaging bug, found at start-up)."""


@dataclass(frozen=True, slots=True)
class LocalizedWarning:
    """One typology's warning in one language."""

    name: str
    title: str
    body: str
    advice: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "body": self.body, "advice": list(self.advice)}


@dataclass(frozen=True)
class WarningTemplates:
    """Every typology's warning in every locale, the channel per event type, and the texts' version."""

    version: str
    channels: Mapping[str, WarningChannel]
    default_channel: WarningChannel
    messages: Mapping[str, Mapping[str, LocalizedWarning]]  # typology -> locale -> text
    _rendered: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict, repr=False)

    def channel_for(self, event_type: str) -> WarningChannel:
        """Where a warning for this event type is shown when the rule does not say."""
        return self.channels.get(event_type, self.default_channel)

    def message(self, typology: str, locale: str | None) -> dict[str, Any]:
        """The message for ``typology``: ``{locale: {name, title, body, advice}}`` for one locale, or both.

        Rendered once per (typology, locale) and shared: callers serialise it, never change it.
        """
        key = (typology if typology in self.messages else GENERIC_TYPOLOGY, locale if locale in LOCALES else None)
        rendered = self._rendered.get(key)
        if rendered is None:
            texts = self.messages[key[0]]
            rendered = {code: texts[code].to_dict() for code in ((key[1],) if key[1] else LOCALES)}
            self._rendered[key] = rendered
        return rendered


def _text(value: object, where: str, locale: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(f"{where}: must be a non-empty string")
    text = " ".join(value.split())
    if locale == "zh":
        text = _CJK_GAP.sub("", text)  # folded YAML lines put spaces between Chinese characters
    for what, pattern in _FORBIDDEN:
        if pattern.search(text):
            raise TemplateError(f"{where}: a warning may not contain {what}: {text!r}")
    return text


def parse_templates(text: str) -> WarningTemplates:
    """Read and check a templates file (see ``templates.yaml`` for the format)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise TemplateError("the templates file must be a mapping")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise TemplateError("version: must be a non-empty string")
    channels_raw = data.get("channels") or {}
    if not isinstance(channels_raw, dict):
        raise TemplateError("channels: must be a mapping of event type to channel")
    try:
        channels = {str(key): WarningChannel(value) for key, value in channels_raw.items()}
    except ValueError as error:
        raise TemplateError(f"channels: {error}") from None
    default_channel = channels.pop("default", WarningChannel.in_app_banner)
    raw = data.get("typologies")
    if not isinstance(raw, dict):
        raise TemplateError("typologies: must be a mapping")
    unknown = sorted(set(raw) - set(WARNING_TYPOLOGIES))
    missing = sorted(set(WARNING_TYPOLOGIES) - set(raw))
    if unknown or missing:
        raise TemplateError(f"typologies: unknown {unknown}, missing {missing}")
    messages: dict[str, dict[str, LocalizedWarning]] = {}
    for typology, by_locale in raw.items():
        if not isinstance(by_locale, dict) or set(by_locale) != set(LOCALES):
            raise TemplateError(f"typologies.{typology}: needs exactly the locales {list(LOCALES)}")
        messages[typology] = {}
        for locale in LOCALES:
            entry = by_locale[locale]
            where = f"typologies.{typology}.{locale}"
            if not isinstance(entry, dict) or set(entry) != {"name", "title", "body", "advice"}:
                raise TemplateError(f"{where}: needs exactly name, title, body and advice")
            advice = entry["advice"]
            if not isinstance(advice, list) or not advice:
                raise TemplateError(f"{where}.advice: must be a non-empty list")
            messages[typology][locale] = LocalizedWarning(
                name=_text(entry["name"], f"{where}.name", locale),
                title=_text(entry["title"], f"{where}.title", locale),
                body=_text(entry["body"], f"{where}.body", locale),
                advice=tuple(_text(item, f"{where}.advice", locale) for item in advice),
            )
    return WarningTemplates(version=version, channels=channels, default_channel=default_channel, messages=messages)


@functools.cache
def load_templates() -> WarningTemplates:
    """The templates shipped with fanzha (read once per process)."""
    text = resources.files("fanzha.earlywarning").joinpath("templates.yaml").read_text(encoding="utf-8")
    return parse_templates(text)
