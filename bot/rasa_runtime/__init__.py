"""What the Rasa server needs that its configuration cannot say.

Loaded by Rasa itself, as the tracker store, the lock store and the REST channel named in
endpoints.yml and credentials.yml, so that every deployment, one machine or a cluster, gets all of it:

- `tracker_store.py`: personal numbers masked in the stored conversation; a long
  conversation bounded (RasaHQ/rasa#6334); SQLite connections kept open;
- `lock_store.py`: the next message of a conversation goes as soon as the last is done (not up
  to a second later); Redis lock tickets issued atomically across Rasa servers;
- `rest_channel.py`: the REST channel (credentials.yml), Rasa's own behind limits on size,
  sender and rate;
- `speedups.py`: Rasa's own per-message waste removed, and action calls bounded to
  ACTION_TIMEOUT_SECONDS (3) instead of 300, on the Rasa version they were written for only;
- `startup.py`: what the stores' constructors install in the process: the speedups and
  every log line masked (common.privacy). Importing this package patches nothing.
"""

from bot.rasa_runtime.lock_store import AtomicRedisLockStore, PromptInMemoryLockStore
from bot.rasa_runtime.tracker_store import MaskingSQLTrackerStore, continued_session

__all__ = ["AtomicRedisLockStore", "MaskingSQLTrackerStore", "PromptInMemoryLockStore", "continued_session"]
