"""Database settings read from the environment (README, "Configuration")."""

import pytest

from jiuzhu import settings


def test_postgresql_connects_without_jit_and_keeps_server_side_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/jiuzhu")
    monkeypatch.delenv("JIUZHU_DB_TRANSACTION_POOLING", raising=False)
    config = settings._database()
    assert config["OPTIONS"] == {"options": "-c jit=off"}
    assert not config.get("DISABLE_SERVER_SIDE_CURSORS")


def test_a_transaction_pooler_gets_no_cursor_beyond_a_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@pgbouncer:6432/jiuzhu")
    monkeypatch.setenv("JIUZHU_DB_TRANSACTION_POOLING", "1")
    config = settings._database()
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["OPTIONS"] == {"options": "-c jit=off"}


def test_sqlite_ignores_the_pooling_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("JIUZHU_DB_TRANSACTION_POOLING", "1")
    config = settings._database()
    assert config["ENGINE"] == "django.db.backends.sqlite3" and "DISABLE_SERVER_SIDE_CURSORS" not in config


def test_a_sqlite_url_queues_writers_like_the_embedded_default(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A ``sqlite://`` DATABASE_URL gets the embedded default's options (write lock at BEGIN, a
    20 s wait, WAL): without them a web server and ``db_worker`` on one file failed with
    "database is locked"."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    embedded = settings._database()["OPTIONS"]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/walk.db")
    config = settings._database()
    assert config["ENGINE"] == "django.db.backends.sqlite3" and config["NAME"] == f"{tmp_path}/walk.db"
    assert config["OPTIONS"] == embedded
    assert embedded["transaction_mode"] == "IMMEDIATE" and "journal_mode=WAL" in str(embedded["init_command"])
