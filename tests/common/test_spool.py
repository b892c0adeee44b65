"""The local spool keeps what waits encrypted, with a key outside its file (end to end: test_feedback_conversations)."""

from __future__ import annotations

import logging
import stat
import threading

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from common import spool as spool_module
from common.local_secret import local_secret
from common.spool import Spool

RATING = {"entry_id": "passport", "rating": 2, "callback_phone": "13700137000", "comment": "排队两小时"}


def files_of(db) -> bytes:
    """The SQLite file and its write-ahead log, as they are on disk."""
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def test_what_waits_is_on_disk_only_encrypted_and_comes_back_whole(tmp_path):
    db = tmp_path / "spool.db"
    spool = Spool(f"sqlite:///{db}", key=Fernet.generate_key().decode())
    spool.put("rating", "k1", RATING)
    on_disk = files_of(db)
    assert b"spool_pending" in on_disk and b"k1" in on_disk  # the row is there…
    for plain in ("13700137000", "137****7000", "排队两小时", "passport"):
        assert plain.encode() not in on_disk, plain  # …its payload is not readable
    assert spool.waiting("rating") == [("k1", RATING)]
    written = []
    assert spool.drain("rating", written.append, ConnectionError) == 1 and written == [RATING]


def test_another_key_cannot_read_it_and_nothing_is_lost(tmp_path, caplog):
    url, key = f"sqlite:///{tmp_path / 'spool.db'}", Fernet.generate_key().decode()
    Spool(url, key=key).put("rating", "k1", RATING)
    with caplog.at_level(logging.WARNING):
        assert Spool(url, key=Fernet.generate_key().decode()).waiting("rating") == []
    assert "cannot be opened" in caplog.text
    assert Spool(url, key=key).waiting("rating") == [("k1", RATING)]  # the right key is back: still there


def test_a_payload_spooled_before_encryption_is_still_written(tmp_path):
    url = f"sqlite:///{tmp_path / 'spool.db'}"
    spool = Spool(url, key=Fernet.generate_key().decode())
    with spool.engine.begin() as conn:
        conn.execute(
            sa.insert(spool_module.pending).values(
                kind="rating", key="old", at=0.0, payload='{"entry_id": "passport", "rating": 5}'
            )
        )
    assert spool.waiting("rating") == [("old", {"entry_id": "passport", "rating": 5})]


def test_without_spool_key_a_key_file_only_its_owner_reads_is_made_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SPOOL_KEY", raising=False)
    monkeypatch.setattr(spool_module, "KEY_FILE", tmp_path / "var" / ".spool_key")
    first = Spool(f"sqlite:///{tmp_path / 'a.db'}")
    first.put("rating", "k1", RATING)
    key_file = tmp_path / "var" / ".spool_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().encode() not in files_of(tmp_path / "a.db")  # the key is not beside the data
    assert Spool(f"sqlite:///{tmp_path / 'a.db'}").waiting("rating") == [("k1", RATING)]  # the same key again


def test_a_wrong_spool_key_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOOL_KEY", "not-a-key")
    with pytest.raises(ValueError, match="SPOOL_KEY"):
        Spool(f"sqlite:///{tmp_path / 'spool.db'}")


def test_a_secret_file_is_made_by_one_process_and_read_by_all(tmp_path):
    path = tmp_path / "secret"
    assert local_secret(path, lambda: "first") == "first"
    assert local_secret(path, lambda: "second") == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no draft left behind


def test_a_new_spool_opened_by_several_threads_at_once_works_in_each(tmp_path):
    """The action server's first request and its spool drain may open a new spool together:
    the one that loses the race to create the table finds it made, and nobody gets an error."""
    key = Fernet.generate_key().decode()
    for attempt in range(10):
        url = f"sqlite:///{tmp_path / f'spool-{attempt}.db'}"
        start, failures = threading.Barrier(6), []

        def open_and_keep(n: int) -> None:
            start.wait()
            try:
                Spool(url, key=key).put("rating", f"k{n}", RATING)
            except Exception as exc:  # noqa: BLE001 - collected, so that the assertion names them
                failures.append(repr(exc))

        threads = [threading.Thread(target=open_and_keep, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert len(Spool(url, key=key).waiting("rating")) == 6
