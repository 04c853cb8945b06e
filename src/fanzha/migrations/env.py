"""Alembic environment: the URL comes from the caller (``fanzha.kit.migrate``), never from a file."""

from __future__ import annotations

from alembic import context

from fanzha.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("fanzha migrations run through fanzha.kit.migrate.upgrade(engine)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
