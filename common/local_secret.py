"""A secret kept in a file that only its owner may read, made on first use.

The admin token, the sender-hash salt and the spool's key live this way in var/ when no
setting gives them. Several processes may ask at the same moment: the file is written
aside and linked into place, so each of them reads the one secret that won, never half of it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from common.var_dir import owner_only


def local_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret in `path`; if there is none yet, `make()` is written there first (mode 0600)."""
    owner_only(path.parent)  # also an old secret left readable by others
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}.new")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(make())
        try:
            os.link(draft, path)  # fails if another process got there first: its secret stands
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="utf-8").strip()
