"""Spot price records and series.

A spot price is a step function: a record's price holds from its timestamp until the next
record of the same (instance type, zone, product).  :class:`Series` keeps that function and
integrates it exactly; :class:`PriceHistory` is a set of series keyed by :class:`SeriesKey`.
Parsing is pure; reading files sits in :func:`read_history_files` at the edge.
"""

from __future__ import annotations

import difflib
import gzip
import json
import math
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from delta.errors import PriceError

_ZONE_SUFFIX = re.compile(r"[a-z]$")


def region_of(az: str) -> str:
    """The region of an availability zone: ``sa-east-1a`` -> ``sa-east-1``."""
    return _ZONE_SUFFIX.sub("", az)


def to_epoch(when: datetime | str | float | int, *, field: str = "start") -> float:
    """Unix seconds from a datetime, an ISO-8601 string or a number (naive means UTC)."""
    if isinstance(when, bool):
        raise PriceError(f"not a time: {when!r}", field=field)
    if isinstance(when, (int, float)):
        if not math.isfinite(when):
            raise PriceError(f"not a time: {when!r}", field=field)
        return float(when)
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.strip())  # 3.11 reads "Z" and offsets
        except ValueError:
            raise PriceError(f"not an ISO-8601 time: {when!r}", field=field) from None
    if not isinstance(when, datetime):
        raise PriceError(f"not a time: {when!r}", field=field)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def to_iso(ts: float) -> str:
    """ISO-8601 UTC for Unix seconds."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


@dataclass(frozen=True, order=True, slots=True)
class SeriesKey:
    """What a spot price is quoted for."""

    instance_type: str
    az: str
    product: str

    @property
    def region(self) -> str:
        return region_of(self.az)


@dataclass(frozen=True, slots=True)
class PriceRecord:
    """One ``SpotPriceHistory`` entry: ``price`` USD per hour from ``timestamp`` (Unix s)."""

    key: SeriesKey
    timestamp: float
    price: float

    def to_api(self) -> dict[str, str]:
        """The record in the ``describe_spot_price_history`` JSON shape."""
        return {"AvailabilityZone": self.key.az, "InstanceType": self.key.instance_type,
                "ProductDescription": self.key.product, "SpotPrice": f"{self.price:.6f}",
                "Timestamp": to_iso(self.timestamp)}


class Series:
    """A price step function: ``prices[i]`` holds on ``[times[i], times[i + 1])``.

    Times are strictly increasing Unix seconds; the last price holds forever after.
    """

    __slots__ = ("times", "prices", "_cum")

    def __init__(self, times: np.ndarray, prices: np.ndarray):
        self.times = np.asarray(times, dtype=float)
        self.prices = np.asarray(prices, dtype=float)
        if self.times.ndim != 1 or self.times.shape != self.prices.shape or not len(self.times):
            raise PriceError("a series needs matching, non-empty times and prices")
        if np.any(np.diff(self.times) <= 0):
            raise PriceError("series times must be strictly increasing")
        # cum[i] = integral of the step function from times[0] to times[i], in price-seconds.
        self._cum = np.concatenate(([0.0], np.cumsum(self.prices[:-1] * np.diff(self.times))))

    @classmethod
    def hourly(cls, origin: float, prices: np.ndarray) -> Series:
        """``prices[k]`` over hour ``k`` after ``origin``, the last holding on; unvalidated."""
        s = cls.__new__(cls)
        s.times = origin + 3600.0 * np.arange(len(prices), dtype=float)
        s.prices = np.asarray(prices, dtype=float)
        s._cum = np.concatenate(([0.0], np.cumsum(s.prices[:-1]) * 3600.0))
        return s

    @classmethod
    def _prefix(cls, other: Series, n: int) -> Series:
        # The first n records of a valid series: views, no re-validation, same prefix sums.
        # Backtests truncate a series at every origin, so this must be cheap.
        s = cls.__new__(cls)
        s.times, s.prices, s._cum = other.times[:n], other.prices[:n], other._cum[:n]
        return s

    def __len__(self) -> int:
        return len(self.times)

    @property
    def start(self) -> float:
        return float(self.times[0])

    @property
    def end(self) -> float:
        """Time of the last record."""
        return float(self.times[-1])

    def until(self, t: float) -> Series:
        """Only the records at or before ``t`` (what was known at ``t``)."""
        n = int(np.searchsorted(self.times, t, side="right"))
        if n == 0:
            raise PriceError(f"no price record at or before {to_iso(t)}")
        return self if n == len(self.times) else Series._prefix(self, n)

    def value_at(self, t: np.ndarray | float) -> np.ndarray:
        """Price in force at ``t``; before the first record, the first price."""
        i = np.searchsorted(self.times, t, side="right") - 1
        return self.prices[np.maximum(i, 0)]

    def _antiderivative(self, t: np.ndarray) -> np.ndarray:
        i = np.maximum(np.searchsorted(self.times, t, side="right") - 1, 0)
        return self._cum[i] + self.prices[i] * (t - self.times[i])

    def integral(self, a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
        """Exact integral over ``[a, b]`` in price-hours (USD for USD/h prices).

        Before the first record the first price is assumed; callers that must not assume
        check :attr:`start` themselves.
        """
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        return (self._antiderivative(b) - self._antiderivative(a)) / 3600.0

    def mean(self, a: float, b: float) -> float:
        """Time-weighted mean price over ``[a, b]``."""
        if b <= a:
            return float(self.value_at(a))
        return float(self.integral(a, b)) * 3600.0 / (b - a)


class PriceHistory(Mapping[SeriesKey, Series]):
    """Series by key, built from records with duplicates removed.

    Records with the same key and timestamp are one record (the last one given wins), so
    overlapping files and re-fetched pages can be merged freely.
    """

    def __init__(self, series: Mapping[SeriesKey, Series]):
        self._series = dict(series)
        self._by_type: dict[str, list[SeriesKey]] = {}
        for k in self._series:
            self._by_type.setdefault(k.instance_type, []).append(k)

    @classmethod
    def from_records(cls, records: Iterable[PriceRecord]) -> PriceHistory:
        by_key: dict[SeriesKey, dict[float, float]] = {}
        for r in records:
            by_key.setdefault(r.key, {})[r.timestamp] = r.price
        out = {}
        for key, points in by_key.items():
            ts = np.array(sorted(points))
            out[key] = Series(ts, np.array([points[t] for t in ts]))
        return cls(out)

    def __getitem__(self, key: SeriesKey) -> Series:
        return self._series[key]

    def __iter__(self) -> Iterator[SeriesKey]:
        return iter(self._series)

    def __len__(self) -> int:
        return len(self._series)

    def records(self) -> Iterator[PriceRecord]:
        for key, s in self._series.items():
            for t, p in zip(s.times, s.prices):
                yield PriceRecord(key, float(t), float(p))

    def matching(self, instance_type: str, product: str, *, az: str | None = None,
                 region: str | None = None) -> list[SeriesKey]:
        """Keys for ``instance_type`` and ``product`` in zone ``az`` or anywhere in ``region``.

        Raises
        ------
        PriceError
            When nothing matches; the message says which part of the query is unknown.
        """
        keys = self._by_type.get(instance_type, [])
        if not keys:
            near = difflib.get_close_matches(instance_type, list(self._by_type))
            hint = f"; did you mean {' or '.join(near[:2])}?" if near else ""
            raise PriceError(f"no price history for instance type {instance_type!r}{hint}",
                             field="instance_type")
        keys = [k for k in keys if k.product == product]
        if not keys:
            raise PriceError(f"no {instance_type} price history for product {product!r}",
                             field="product")
        if az is not None:
            keys = [k for k in keys if k.az == az]
            where, fld = f"zone {az!r}", "az"
        elif region is not None:
            keys = [k for k in keys if k.region == region]
            where, fld = f"region {region!r}", "region"
        if not keys:
            raise PriceError(f"no {instance_type} {product} price history in {where}", field=fld)
        return sorted(keys)


_FIELDS = ("InstanceType", "AvailabilityZone", "ProductDescription", "SpotPrice", "Timestamp")


def _record(e: Any, where: str, source: str, keys: dict[tuple, SeriesKey]) -> PriceRecord | None:
    if not isinstance(e, dict):
        raise PriceError("expected an object", source=source, field=where)
    for name in _FIELDS:
        if name not in e:
            raise PriceError(f"missing {name!r}", source=source, field=where)
    ident = (e["InstanceType"], e["AvailabilityZone"], e["ProductDescription"])
    key = keys.get(ident)
    if key is None:  # one key object per series keeps 400k records cheap
        key = keys[ident] = SeriesKey(*(str(x) for x in ident))
    raw = e["SpotPrice"]
    try:
        price = float(raw)
    except (TypeError, ValueError):
        price = math.nan
    if isinstance(raw, bool) or not math.isfinite(price) or price < 0:
        raise PriceError(f"'SpotPrice' must be a positive number, got {raw!r}",
                         source=source, field=where)
    if price == 0:
        return None  # the feed has rare 0.000000 glitches; no spot instance is free
    try:
        ts = to_epoch(e["Timestamp"])
    except PriceError as exc:
        raise PriceError(exc.message, source=source, field=f"{where}.Timestamp") from None
    return PriceRecord(key, ts, price)


def parse_history(obj: Any, source: str = "history", *,
                  instance_types: Collection[str] | None = None) -> list[PriceRecord]:
    """Records from the ``describe_spot_price_history`` shape ``{"SpotPriceHistory": [...]}``.

    ``Timestamp`` may be an ISO string or a datetime (as boto3 returns it); ``SpotPrice`` a
    decimal string or number, positive and finite.  Zero prices (rare glitches in the real
    feed) are skipped.  With ``instance_types``, records of other types are skipped
    unparsed (a planner needs a handful of types out of a region's ~400k records).
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("SpotPriceHistory"), list):
        raise PriceError("expected an object with a 'SpotPriceHistory' list", source=source)
    keys: dict[tuple, SeriesKey] = {}
    out = []
    wanted = None if instance_types is None else frozenset(instance_types)
    for i, e in enumerate(obj["SpotPriceHistory"]):
        if wanted is not None and isinstance(e, dict) and e.get("InstanceType") not in wanted:
            continue
        rec = _record(e, f"SpotPriceHistory[{i}]", source, keys)
        if rec is not None:
            out.append(rec)
    return out


def read_json_file(path: str | Path) -> Any:
    """A JSON file, gzip-compressed or not (detected from the content)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        obj = json.loads(raw)
    except FileNotFoundError:
        raise PriceError("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise PriceError("is a directory, not a JSON file", source=str(path)) from None
    except (OSError, EOFError) as exc:
        raise PriceError(f"cannot read: {exc}", source=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PriceError(f"not JSON: {exc}", source=str(path)) from None
    return obj


def read_history_files(paths: Iterable[str | Path], *,
                       instance_types: Collection[str] | None = None) -> list[PriceRecord]:
    """Records from JSON history files (gzip-compressed or not), optionally only those of
    ``instance_types`` (see :func:`parse_history`)."""
    records: list[PriceRecord] = []
    for p in paths:
        records.extend(parse_history(read_json_file(p), source=str(p),
                                     instance_types=instance_types))
    return records
