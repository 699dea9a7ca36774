"""Spot price records in the SQLite store (table ``spot_prices``).

A record is identified by (instance type, product, zone, timestamp), so importing the same
file twice or re-fetching an overlapping window adds nothing; a record whose price changed
is updated (the newest answer wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from delta.pricing.history import PriceHistory, PriceRecord, SeriesKey
from delta.store import Store


def add_prices(store: Store, records: Iterable[PriceRecord]) -> int:
    """Store records in one transaction; returns how many were new or changed."""
    rows = [(r.key.instance_type, r.key.az, r.key.product, r.timestamp, r.price)
            for r in records]
    with store.transaction() as conn:
        before = conn.total_changes
        conn.executemany(
            "INSERT INTO spot_prices (instance_type, az, product, timestamp, price)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (instance_type, product, az, timestamp)"
            " DO UPDATE SET price = excluded.price WHERE price != excluded.price",
            rows,
        )
        return conn.total_changes - before


def _where(instance_types: Sequence[str] | None, product: str | None,
           region: str | None) -> tuple[str, list[str]]:
    clauses, args = [], []
    if instance_types:
        clauses.append(f"instance_type IN ({', '.join('?' * len(instance_types))})")
        args += list(instance_types)
    if product is not None:
        clauses.append("product = ?")
        args.append(product)
    if region is not None:
        # Zones are the region name plus one letter.
        clauses.append("az GLOB ?")
        args.append(f"{region}[a-z]")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def load_prices(store: Store, *, instance_types: Sequence[str] | None = None,
                product: str | None = None, region: str | None = None) -> PriceHistory:
    """The stored history, optionally only some instance types, one product, one region."""
    where, args = _where(instance_types, product, region)
    with store.transaction() as conn:
        rows = conn.execute("SELECT instance_type, az, product, timestamp, price"
                            " FROM spot_prices" + where, args).fetchall()
    return PriceHistory.from_records(PriceRecord(SeriesKey(r[0], r[1], r[2]), r[3], r[4])
                                     for r in rows)


def latest_timestamp(store: Store, *, instance_type: str, region: str,
                     product: str | None = None) -> float | None:
    """Newest stored record time for ``instance_type`` in ``region`` (any zone), if any."""
    where, args = _where([instance_type], product, region)
    with store.transaction() as conn:
        row = conn.execute("SELECT MAX(timestamp) FROM spot_prices" + where, args).fetchone()
    return None if row[0] is None else float(row[0])


def stored_instance_types(store: Store) -> list[str]:
    """Instance types with any stored price, sorted."""
    with store.transaction() as conn:
        return [r[0] for r in conn.execute(
            "SELECT DISTINCT instance_type FROM spot_prices ORDER BY instance_type")]


def price_count(store: Store) -> int:
    with store.transaction() as conn:
        return int(conn.execute("SELECT COUNT(*) FROM spot_prices").fetchone()[0])
