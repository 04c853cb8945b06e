"""Database plumbing: the declarative base, engine creation and sessions.

SQLite is the embedded default (WAL mode, one writer, many readers); PostgreSQL is selected by
``FANZHA_DATABASE_URL``. Engines are built by :func:`create_db_engine` when the app or a CLI
command starts, never at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Connection, DateTime, Engine, Integer, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from fanzha.kit.clock import ensure_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every fanzha table, with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return ensure_utc(value) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return ensure_utc(value) if value is not None else None


JSONType = JSON().with_variant(JSONB(), "postgresql")

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z).decode()


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def create_db_engine(
    url: str, *, synchronous: str = "NORMAL", echo: bool = False, deferred_checkpoints: bool = False
) -> Engine:
    """Create the engine for ``url`` with the pragmas fanzha relies on.

    On SQLite every connection gets WAL journaling, a busy timeout (writers wait instead of
    failing) and foreign keys; ``synchronous`` trades power-loss durability for speed (NORMAL in
    WAL mode survives any process crash).
    """
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if ":memory:" in url else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Checkpoints run from the server's periodic task (see checkpoint()), not inside a commit
            # of the decision journal, where they would stall every request waiting on that commit.
            # Closing the last connection still checkpoints, so short CLI runs leave a tidy file.
            cursor.execute(f"PRAGMA wal_autocheckpoint={0 if deferred_checkpoints else 1000}")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )


def dialect_of(executor: Session | Connection) -> str:
    """The dialect name of a session or a connection (repositories accept either)."""
    if isinstance(executor, Connection):
        return executor.dialect.name
    return executor.get_bind().dialect.name


def checkpoint(engine: Engine) -> None:
    """Copy the SQLite write-ahead log into the database without blocking writers (no-op elsewhere)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit when the block ends normally, roll back on any error.

    This is the boundary that commits; services only flush.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class PointReader:
    """A ``SELECT`` by one key on a dedicated driver connection, for reads on the hot path.

    The ORM costs far more than the query for a one-row lookup done on every request, so these few
    reads go straight to the driver. ``sql`` names its one parameter ``:key``. SQLite in WAL mode
    lets this connection read while the journal writes.
    """

    def __init__(self, engine: Engine, sql: str) -> None:
        self._engine = engine
        placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
        self._sql = sql.replace(":key", placeholder)
        self._connection: Any = None
        self._lock = threading.Lock()
        self._end_read = engine.dialect.name != "sqlite"

    def fetch(self, key: str) -> tuple[Any, ...] | None:
        rows = self._run(key, many=False)
        return rows[0] if rows else None

    def fetch_all(self, key: str) -> list[tuple[Any, ...]]:
        return self._run(key, many=True)

    def _run(self, key: str, *, many: bool) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._connection is None:
                self._connection = self._engine.raw_connection()
            cursor = self._connection.cursor()
            try:
                cursor.execute(self._sql, (key,))
                rows = cursor.fetchall() if many else [row for row in [cursor.fetchone()] if row is not None]
            finally:
                cursor.close()
            if self._end_read:
                self._connection.rollback()  # end the read transaction so later commits are visible
        return [tuple(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
