"""var/ is the operator's alone: old files left readable are tightened, new ones are born owner-only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from common.local_secret import local_secret
from common.var_dir import owner_only


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_old_salt_left_at_0644_is_tightened_when_it_is_read(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    salt = var / ".sender_salt"
    salt.write_text("old-salt\n")
    salt.chmod(0o644)
    umask = os.umask(0o022)
    try:
        assert local_secret(salt, lambda: "new-salt") == "old-salt"  # the salt itself is kept
        assert mode(salt) == 0o600
        assert mode(var) == 0o700
    finally:
        os.umask(umask)


def test_databases_and_folders_inside_become_owner_only_and_new_files_are_born_so(tmp_path):
    var = tmp_path / "var"
    (var / "cluster").mkdir(parents=True)
    old_db = var / "feedback.db"
    old_db.write_bytes(b"")
    old_db.chmod(0o664)
    umask = os.umask(0o022)
    try:
        owner_only(var)
        assert mode(old_db) == 0o600 and mode(var / "cluster") == 0o700
        new_db = var / "checklists.db"
        new_db.touch()
        assert mode(new_db) == 0o600
    finally:
        os.umask(umask)
