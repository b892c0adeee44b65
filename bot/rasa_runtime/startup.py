"""What every Rasa server of ours installs in its process, called when Rasa builds our stores.

Rasa has no start-up hook for a project, but it builds the tracker store named in
endpoints.yml (`bot.rasa_runtime.MaskingSQLTrackerStore`, in every deployment) and, in the
cluster, the lock store, before it handles a message. Their constructors call `install()`,
so the process gets, once:

- every log line masked (common.privacy.install_log_masking);
- Rasa's per-message waste removed and action calls bounded (speedups.install; on a Rasa
  version other than the one they were written for, it logs why and patches nothing).

Importing `bot.rasa_runtime` changes nothing by itself.
"""

from __future__ import annotations

from bot.rasa_runtime import speedups
from common.privacy import install_log_masking

_done = False


def install() -> None:
    """Log masking and the speedups, once per process (both are safe to repeat, this keeps the log quiet)."""
    global _done
    if _done:
        return
    install_log_masking()
    speedups.install()
    _done = True
