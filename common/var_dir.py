"""var/ holds the stores' databases, hashed sender ids, conversations and the local secrets:
only the operator who runs the service may read it.

`owner_only(folder)` runs once per process and folder, from the places that first touch var/
(a store's default SQLite URL, a local secret): it makes the folder 0700, tightens what an
earlier version left readable (var/.sender_salt at 0644), and sets the process's umask so that
what it creates from then on (a new SQLite file, its journal) is owner-only too.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

FOLDER_MODE, FILE_MODE, UMASK = 0o700, 0o600, 0o077


@lru_cache(maxsize=None)
def owner_only(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.umask(UMASK)
    for path in (folder, *folder.rglob("*")):
        if path.is_symlink():
            continue
        try:
            path.chmod(FOLDER_MODE if path.is_dir() else FILE_MODE)
        except OSError:  # another user's file (a socket left by a crashed run): not ours to change
            continue
