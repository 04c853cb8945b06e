from __future__ import annotations

import pytest

from fanzha.settings import Settings


@pytest.mark.parametrize("value", ["game.item_traded, ride.booked", '["game.item_traded", "ride.booked"]'])
def test_list_settings_read_commas_or_json(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FANZHA_EXTRA_EVENT_TYPES", value)
    monkeypatch.setenv("FANZHA_EXTRA_RESTRICTABLE_FUNCTIONS", "book_rides,rate_drivers")
    settings = Settings()
    assert settings.extra_event_types == ["game.item_traded", "ride.booked"]
    assert settings.extra_restrictable_functions == ["book_rides", "rate_drivers"]


def test_bad_sqlite_synchronous_is_refused() -> None:
    with pytest.raises(ValueError, match="must be one of"):
        Settings(sqlite_synchronous="sometimes")
