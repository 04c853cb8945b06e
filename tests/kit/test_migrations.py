"""The shipped migrations build exactly the schema the models describe, and step down again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import fanzha.models  # noqa: F401  (registers every model on the metadata)
from fanzha.kit import migrate
from fanzha.kit.db import Base, create_db_engine


def schema_differences(path: Path) -> list[object]:
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


class TestMigrations:
    def test_head_matches_the_models(self, tmp_path: Path) -> None:
        engine = create_db_engine(f"sqlite:///{tmp_path / 'm.db'}")
        migrate.upgrade(engine)
        engine.dispose()
        assert schema_differences(tmp_path / "m.db") == []

    def test_every_migration_steps_down_and_up_again(self, tmp_path: Path) -> None:
        engine = create_db_engine(f"sqlite:///{tmp_path / 'm.db'}")
        migrate.upgrade(engine)
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        migrate.upgrade(engine)
        engine.dispose()
        assert schema_differences(tmp_path / "m.db") == []
