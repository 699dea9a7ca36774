"""Fetching spot price history from EC2 with boto3 (imported here only).

``describe_spot_price_history`` answers in pages (``NextToken``) and reaches back 90 days.
A fetch asks, per instance type, only for what is newer than the store already holds, and
the store drops what it has seen, so fetching again is cheap and safe.  Throttling and
transient errors are retried by botocore with exponential backoff and jitter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from delta.errors import PriceError
from delta.pricing.history import PriceRecord, parse_history
from delta.pricing.price_store import add_prices, latest_timestamp
from delta.store import Store

#: How far back the API answers.
API_REACH = timedelta(days=90)


def make_client(region: str, *, endpoint_url: str | None = None, max_attempts: int = 8) -> Any:
    """An EC2 client retrying with exponential backoff and jitter (botocore standard)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": max_attempts, "mode": "standard"},
                    connect_timeout=10, read_timeout=60)
    try:
        return boto3.client("ec2", region_name=region, endpoint_url=endpoint_url, config=config)
    except Exception as exc:  # botocore raises many unrelated types for bad settings
        raise PriceError(f"cannot create EC2 client: {exc}", source="fetch") from None


def iter_history(client: Any, *, instance_types: Sequence[str], product: str | None = None,
                 az: str | None = None, start: datetime | None = None,
                 end: datetime | None = None, page_size: int = 1000) -> Iterator[PriceRecord]:
    """Records from every page of ``describe_spot_price_history`` for the filters given."""
    from botocore.exceptions import BotoCoreError, ClientError

    params: dict[str, Any] = {"InstanceTypes": list(instance_types),
                              "PaginationConfig": {"PageSize": page_size}}
    if product is not None:
        params["ProductDescriptions"] = [product]
    if az is not None:
        params["AvailabilityZone"] = az
    if start is not None:
        params["StartTime"] = start
    if end is not None:
        params["EndTime"] = end
    try:
        for i, page in enumerate(client.get_paginator("describe_spot_price_history")
                                 .paginate(**params)):
            yield from parse_history({"SpotPriceHistory": page.get("SpotPriceHistory", [])},
                                     source=f"describe_spot_price_history page {i + 1}")
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise PriceError(f"{err.get('Code', 'error')}: {err.get('Message', exc)}",
                         source="describe_spot_price_history") from None
    except BotoCoreError as exc:
        raise PriceError(str(exc), source="describe_spot_price_history") from None


@dataclass(frozen=True)
class FetchResult:
    """Per instance type: when the fetch started from, records received, records new."""

    instance_type: str
    since: datetime
    received: int
    added: int


def fetch_into_store(store: Store, client: Any, *, region: str, instance_types: Sequence[str],
                     product: str | None = None, now: datetime | None = None
                     ) -> list[FetchResult]:
    """Fetch each type's history newer than the store holds (at most 90 days) and keep it."""
    if not instance_types:
        raise PriceError("give at least one instance type", field="instance_types")
    now = now or datetime.now(timezone.utc)
    out = []
    for itype in instance_types:
        newest = latest_timestamp(store, instance_type=itype, region=region, product=product)
        since = now - API_REACH
        if newest is not None:
            # The API also returns the price in force at StartTime; the store drops it.
            since = max(since, datetime.fromtimestamp(newest, tz=timezone.utc))
        records = list(iter_history(client, instance_types=[itype], product=product,
                                    start=since, end=now))
        out.append(FetchResult(itype, since, len(records), add_prices(store, records)))
    return out
