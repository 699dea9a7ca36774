from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3

import pytest

from delta.errors import ObservationError, StoreError
from delta.observations import Observation, read_observations, write_observations
from delta.store import SCHEMA_VERSION, Store
from tests.conftest import run_delta


def obs(i: int, ep: str = "a") -> Observation:
    return Observation(endpoint=ep, seconds=1.0 + i, samples=10 * i, epochs=2, batch_size=32,
                       extra={"gflops": 1.5})


def test_round_trip_csv_and_jsonl(tmp_path):
    recs = [obs(i) for i in range(5)]
    for fmt in ("csv", "jsonl"):
        f = tmp_path / f"o.{fmt}"
        with f.open("w") as fh:
            write_observations(recs, fmt, fh)
        assert read_observations(f) == recs


def test_store_is_wal_versioned_and_durable(tmp_path):
    path = tmp_path / "s.sqlite3"
    with Store(path) as s:
        assert s.add([obs(1), obs(2, "b")]) == 2
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    with Store(path) as s:  # a fresh connection sees what was committed
        assert [o.endpoint for o in s.observations()] == ["a", "b"]
        assert s.observations(endpoint="b")[0].extra == {"gflops": 1.5}


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite3"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this DELTA"):
        Store(path)


def test_not_a_store(tmp_path):
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(path)


def _writer(path: str, worker: int, n: int) -> None:
    with Store(path) as s:
        for i in range(n):
            s.add([obs(i, f"w{worker}")])


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "s.sqlite3")
    Store(path).close()
    procs = [mp.get_context("spawn").Process(target=_writer, args=(path, w, 100))
             for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with Store(path) as s:
        assert s.count() == 400
        for w in range(4):
            assert len(s.observations(endpoint=f"w{w}")) == 100


@pytest.mark.parametrize(
    "content, words",
    [
        ("endpoint,seconds\na,-1\n", "'seconds' must not be negative"),
        ("endpoint,seconds\na,fast\n", "'seconds' must be a number"),
        ("endpoint,samples\na,10\n", "missing column 'seconds'"),
        ("seconds\n1.0\n", "missing column 'endpoint'"),
        ("endpoint,seconds,epochs\na,1,2.5\n", "'epochs' must be a whole number"),
        ('{"endpoint": "a", "seconds": 1}\n{"endpoint": \n', "line 2: malformed JSON"),
    ],
)
def test_bad_observation_files(tmp_path, content, words):
    f = tmp_path / "o.csv"
    f.write_text(content)
    with pytest.raises(ObservationError, match=words):
        read_observations(f)
    r = run_delta("observe", "import", str(f))
    assert r.returncode == 2 and words.split(":")[-1].strip() in r.stderr
    assert str(f) in r.stderr


def test_cli_import_list_export(tmp_path):
    f = tmp_path / "o.jsonl"
    f.write_text("".join(json.dumps(obs(i).to_dict()) + "\n" for i in range(3)))
    db = tmp_path / "cli.sqlite3"
    r = run_delta("observe", "import", str(f), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "imported 3 observations" in r.stderr
    r = run_delta("observe", "list", "--format", "json", "--db", str(db))
    assert [o["seconds"] for o in json.loads(r.stdout)] == [1.0, 2.0, 3.0]
    r = run_delta("observe", "export", "--format", "csv", env={"DELTA_DB": str(db)})
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("endpoint,task,samples") and len(lines) == 4
