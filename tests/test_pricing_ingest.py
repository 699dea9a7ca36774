"""boto3 plumbing against real local servers: moto, and a paginating EC2 endpoint.

moto 5.2 answers describe_spot_price_history in one page and ignores StartTime, so the
NextToken loop, retries and the incremental StartTime are checked against a small EC2
query-API server here that pages, throttles once and records what it was asked.
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import pytest

from delta.cli import main
from delta.errors import PriceError
from delta.pricing.ingest import fetch_into_store, iter_history, make_client
from delta.pricing.price_store import latest_timestamp, load_prices, price_count
from delta.store import Store
from tests.conftest import run_delta

NOW = datetime(2020, 1, 10, tzinfo=timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def aws_env(tmp_path, monkeypatch):
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "sa-east-1",
           "HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    exe = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def moto(moto_url, aws_env):
    return moto_url


ITEM = ("<item><instanceType>{t}</instanceType><productDescription>Linux/UNIX"
        "</productDescription><spotPrice>{p}</spotPrice><timestamp>{ts}</timestamp>"
        "<availabilityZone>sa-east-1a</availabilityZone></item>")


class PagingEC2(http.server.ThreadingHTTPServer):
    """EC2's query API for DescribeSpotPriceHistory: pages of MaxResults, one throttle."""

    def __init__(self, hours: list[int]):
        super().__init__(("127.0.0.1", free_port()), _Handler)
        self.hours = hours
        self.requests: list[dict[str, str]] = []
        self.throttle_next = True


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        srv: PagingEC2 = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        q = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        srv.requests.append(q)
        if srv.throttle_next:
            srv.throttle_next = False
            self._send(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                            "<Message>Request limit exceeded.</Message></Error></Errors>"
                            "<RequestID>r</RequestID></Response>")
            return
        since = q.get("StartTime")
        t0 = datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()
        items = [(h, t0 + h * 3600) for h in srv.hours]
        if since:
            s = datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp()
            items = [(h, t) for h, t in items if t >= s]
        start = int(q.get("NextToken", "0"))
        size = int(q.get("MaxResults", "1000"))
        page = items[start:start + size]
        xml = "".join(ITEM.format(t=q["InstanceType.1"], p=f"{0.04 + h / 1e4:.6f}",
                                  ts=datetime.fromtimestamp(t, timezone.utc).strftime(
                                      "%Y-%m-%dT%H:%M:%S.000Z")) for h, t in page)
        token = (f"<nextToken>{start + size}</nextToken>"
                 if start + size < len(items) else "<nextToken></nextToken>")
        self._send(200, '<DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/'
                        f'doc/2016-11-15/"><requestId>r</requestId><spotPriceHistorySet>{xml}'
                        f"</spotPriceHistorySet>{token}</DescribeSpotPriceHistoryResponse>")

    def _send(self, code: int, text: str):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def paging(aws_env):
    srv = PagingEC2(hours=list(range(0, 48, 4)))  # 12 records
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_pages_retries_and_incremental_fetch(paging, tmp_path):
    client = make_client("sa-east-1", endpoint_url=f"http://127.0.0.1:{paging.server_port}")
    recs = list(iter_history(client, instance_types=["m5.large"], page_size=5))
    assert len(recs) == 12 and len({r.timestamp for r in recs}) == 12
    # One throttled call retried, then three pages following NextToken.
    assert [r.get("NextToken") for r in paging.requests] == [None, None, "5", "10"]

    paging.requests.clear()
    with Store(tmp_path / "p.sqlite3") as store:
        first = fetch_into_store(store, client, region="sa-east-1", instance_types=["m5.large"],
                                 now=NOW)
        assert (first[0].received, first[0].added) == (12, 12)
        newest = latest_timestamp(store, instance_type="m5.large", region="sa-east-1")
        paging.hours += [50, 60]  # the market moves on
        second = fetch_into_store(store, client, region="sa-east-1",
                                  instance_types=["m5.large"], now=NOW)
        # Only what is newer than the store was asked for; the overlap is de-duplicated.
        asked = datetime.fromisoformat(paging.requests[-1]["StartTime"].replace("Z", "+00:00"))
        assert asked.timestamp() == newest
        assert (second[0].received, second[0].added) == (3, 2)
        assert price_count(store) == 14
        assert len(load_prices(store, region="sa-east-1")) == 1


def test_fetch_from_moto_filters_and_deduplicates(moto, tmp_path):
    client = make_client("sa-east-1", endpoint_url=moto)
    seen = []
    client.meta.events.register("provide-client-params.ec2.DescribeSpotPriceHistory",
                                lambda params, **kw: seen.append(dict(params)))
    with Store(tmp_path / "m.sqlite3") as store:
        res = fetch_into_store(store, client, region="sa-east-1",
                               instance_types=["m5.large", "c5.xlarge"], now=NOW)
        assert [r.instance_type for r in res] == ["m5.large", "c5.xlarge"]
        assert all(r.received > 0 and r.added == r.received for r in res)
        history = load_prices(store)
        assert {k.instance_type for k in history} == {"m5.large", "c5.xlarge"}
        assert all(k.region == "sa-east-1" for k in history)
        again = fetch_into_store(store, client, region="sa-east-1", instance_types=["m5.large"],
                                 now=NOW)
        assert again[0].received > 0 and again[0].added == 0
    assert seen[0]["InstanceTypes"] == ["m5.large"] and "StartTime" in seen[0]


def test_fetch_cli_against_moto(moto, aws_env, tmp_path, capsys):
    db = str(tmp_path / "cli.sqlite3")
    r = run_delta("prices", "fetch", "--region", "sa-east-1", "--instance-types", "m5.large",
                  "--endpoint-url", moto, "--db", db, "--format", "json", env=aws_env)
    assert r.returncode == 0, r.stderr
    assert '"added"' in r.stdout
    with pytest.raises(SystemExit) as exc:
        main(["prices", "fetch", "--region", "sa-east-1", "--instance-types", " ,",
              "--endpoint-url", moto, "--db", db])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("delta: error: ") and err.count("\n") == 1


def test_unreachable_endpoint_is_one_line_error(aws_env, tmp_path):
    client = make_client("sa-east-1", endpoint_url=f"http://127.0.0.1:{free_port()}",
                         max_attempts=1)
    with pytest.raises(PriceError, match="describe_spot_price_history"):
        list(iter_history(client, instance_types=["m5.large"]))
