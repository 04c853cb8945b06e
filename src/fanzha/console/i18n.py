"""Chinese and English for the console: the locale a request gets, and the message catalogue.

The catalogue is the ``messages/*.yaml`` files beside this module: ``key: {zh: ..., en: ...}``. A key missing
from the catalogue shows as the key itself, and a test keeps every key used by a template in it.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml


class Locale(StrEnum):
    zh = "zh"
    en = "en"


DEFAULT_LOCALE = Locale.zh


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every ``messages/*.yaml`` file merged (one file per area of the console); a key defined twice is an error."""
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("fanzha.console").joinpath("messages")
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not item.name.endswith(".yaml"):
            continue
        loaded: dict[str, dict[str, str]] = yaml.safe_load(item.read_text(encoding="utf-8")) or {}
        clash = merged.keys() & loaded.keys()
        if clash:
            raise ValueError(f"{item.name} defines message keys already defined elsewhere: {sorted(clash)}")
        merged.update(loaded)
    return merged


def parse_locale(value: str | None) -> Locale | None:
    """``zh``, ``zh-CN``, ``en-GB`` ... as a supported locale, or None."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    try:
        return Locale(primary)
    except ValueError:
        return None


def negotiate(accept_language: str | None) -> Locale:
    """The first supported language of an ``Accept-Language`` header, by quality; Chinese otherwise."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, Locale]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = parse_locale(tag)
        if locale is not None and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def error_texts(key: str, **values: Any) -> tuple[str, str]:
    """The English and the Chinese text of a console message, for an error that carries both."""
    return Translator(Locale.en)(key, **values), Translator(Locale.zh)(key, **values)


class Translator:
    """``t("nav.queue")`` in the chosen locale; ``t("x", n=3)`` fills ``{n}``."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self._messages = catalogue()

    def has(self, key: str) -> bool:
        return key in self._messages

    def __call__(self, key: str, **values: Any) -> str:
        entry = self._messages.get(key)
        text = key if entry is None else entry.get(self.locale.value) or entry.get("en") or key
        return text.format(**values) if values else text
