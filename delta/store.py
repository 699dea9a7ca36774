"""The observation store: one SQLite file in WAL mode.

Writers commit before they return, so an acknowledged observation survives a crash.
The schema is versioned; :data:`MIGRATIONS` upgrades an older file in place.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from delta.errors import StoreError
from delta.observations import Observation

#: Each entry upgrades the schema from version ``i`` to ``i + 1``.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE observations (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        endpoint     TEXT    NOT NULL,
        task         TEXT    NOT NULL,
        samples      INTEGER NOT NULL,
        epochs       INTEGER NOT NULL,
        batch_size   INTEGER NOT NULL,
        threads      INTEGER NOT NULL,
        model_params INTEGER NOT NULL,
        bytes        INTEGER NOT NULL,
        seconds      REAL    NOT NULL,
        ok           INTEGER NOT NULL,
        timestamp    REAL,
        extra        TEXT    NOT NULL DEFAULT '{}'
    );
    CREATE INDEX observations_by_endpoint ON observations (endpoint, task);
    """,
    # Idempotency keys of reported batches, so that a retried batch is stored once.
    """
    CREATE TABLE report_keys (
        key    TEXT    PRIMARY KEY,
        stored INTEGER NOT NULL
    );
    """,
    # Spot price history (delta.pricing.price_store); one row per record, de-duplicated.
    """
    CREATE TABLE spot_prices (
        instance_type TEXT NOT NULL,
        az            TEXT NOT NULL,
        product       TEXT NOT NULL,
        timestamp     REAL NOT NULL,
        price         REAL NOT NULL,
        PRIMARY KEY (instance_type, product, az, timestamp)
    ) WITHOUT ROWID;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = ("INSERT INTO observations (endpoint, task, samples, epochs, batch_size, threads,"
           " model_params, bytes, seconds, ok, timestamp, extra)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SELECT = ("SELECT endpoint, task, samples, epochs, batch_size, threads, model_params, bytes,"
           " seconds, ok, timestamp, extra, id FROM observations")


def _row(o: Observation) -> tuple:
    return (o.endpoint, o.task, o.samples, o.epochs, o.batch_size, o.threads, o.model_params,
            o.bytes, o.seconds, int(o.ok), o.timestamp, json.dumps(o.extra, sort_keys=True))


def _observation(r: tuple) -> Observation:
    return Observation(endpoint=r[0], task=r[1], samples=r[2], epochs=r[3], batch_size=r[4],
                       threads=r[5], model_params=r[6], bytes=r[7], seconds=r[8], ok=bool(r[9]),
                       timestamp=r[10], extra=json.loads(r[11]))


def default_db_path() -> Path:
    """``$DELTA_DB`` if set, else ``delta.sqlite3`` in the user's data directory."""
    env = os.environ.get("DELTA_DB")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("delta", appauthor=False)) / "delta.sqlite3"


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open store: {exc}", source=str(path)) from None
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"store schema v{version} is newer than this DELTA (v{SCHEMA_VERSION}); upgrade DELTA",
            source=str(path),
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: a concurrent opener may have migrated already.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for i in range(version, SCHEMA_VERSION):
            for stmt in MIGRATIONS[i].split(";"):
                if stmt.strip():
                    conn.execute(stmt)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class Store:
    """Durable observations in one SQLite file.

    Safe for concurrent writers in several threads or processes: each write is one
    ``BEGIN IMMEDIATE`` transaction, committed (``synchronous=FULL``) before returning.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        self._conn = _connect(self.path)
        try:
            _migrate(self._conn, self.path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a DELTA store: {exc}", source=str(self.path)) from None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; committed when the block exits cleanly."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def add(self, observations: Iterable[Observation]) -> int:
        """Store observations atomically; returns how many were committed."""
        rows = [_row(o) for o in observations]
        with self.transaction() as conn:
            conn.executemany(_INSERT, rows)
        return len(rows)

    def add_once(self, key: str, observations: Iterable[Observation]) -> tuple[int, bool]:
        """Store a batch unless ``key`` was stored before, in one transaction.

        Returns ``(stored, duplicate)``: the batch's size when first stored, or the size
        recorded for the key and ``True`` when it was a retry (nothing new is stored).
        """
        obs = list(observations)
        with self.transaction() as conn:
            row = conn.execute("SELECT stored FROM report_keys WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return int(row[0]), True
            conn.executemany(_INSERT, [_row(o) for o in obs])
            conn.execute("INSERT INTO report_keys (key, stored) VALUES (?, ?)", (key, len(obs)))
        return len(obs), False

    def observations_after(self, last_id: int) -> tuple[int, list[Observation]]:
        """Observations stored after row ``last_id``, and the newest row id (for caches)."""
        rows = self._conn.execute(_SELECT + " WHERE id > ? ORDER BY id", (last_id,)).fetchall()
        return (int(rows[-1][-1]) if rows else last_id), [_observation(r) for r in rows]

    def observations(self, endpoint: str | None = None, task: str | None = None,
                     limit: int | None = None) -> list[Observation]:
        """Stored observations, oldest first, optionally filtered."""
        sql = _SELECT
        clauses, args = [], []
        if endpoint is not None:
            clauses.append("endpoint = ?")
            args.append(endpoint)
        if task is not None:
            clauses.append("task = ?")
            args.append(task)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_observation(r) for r in self._conn.execute(sql, args)]

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0])
