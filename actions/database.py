"""One way to open a database for the action server's own stores."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

VAR_DIR = Path(__file__).resolve().parents[1] / "var"


def default_sqlite_url(name: str) -> str:
    """The embedded default: a SQLite file in var/, so a bare machine needs nothing else."""
    return f"sqlite:///{VAR_DIR / name}"


def open_engine(url: str) -> sa.engine.Engine:
    """An engine for `url`; a SQLite file's folder is created if missing."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True, pool_pre_ping=True)
