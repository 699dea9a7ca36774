"""`delta plan --prices` parses only the candidates' instance types."""

from __future__ import annotations

import json

import pytest

from delta.errors import PriceError
from delta.pricing.history import parse_history, read_history_files
from tests.test_pricing_history import api


def test_only_the_wanted_types_are_parsed(tmp_path):
    feed = {"SpotPriceHistory": [
        api(), api(ts="2020-01-02T00:00:00Z", price="0.05"),
        api(itype="c5.large", price="0.02"),
        # Another type's broken record is never parsed, so it cannot fail the plan.
        {"InstanceType": "x1.32xlarge", "SpotPrice": "oops"},
    ]}
    recs = parse_history(feed, instance_types={"m5.large"})
    assert [(r.key.instance_type, r.price) for r in recs] == [("m5.large", 0.04),
                                                               ("m5.large", 0.05)]
    with pytest.raises(PriceError, match="missing"):
        parse_history(feed)  # unfiltered, everything is checked
    path = tmp_path / "h.json"
    path.write_text(json.dumps(feed))
    assert read_history_files([path], instance_types=["c5.large"])[0].price == 0.02
    assert read_history_files([path], instance_types=[]) == []
