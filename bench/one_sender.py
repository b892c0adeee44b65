"""Many messages of one conversation at once: how long until the last is answered.

Rasa handles one conversation's messages one at a time (its lock store). Rasa 3.6's waiter
polls for its turn every second, so 40 messages sent together took 40 s although each takes
a few tens of milliseconds; bot/rasa_runtime/lock_store.py wakes the next waiter instead.

    python -m bench.one_sender [--messages 40] [--only single|cluster]

Prints, for the single-machine default and the cluster, the seconds until every message
was answered (tests/bot/test_rest_channel.py checks that the turns are stored one after the
other). The per-sender rate limit of the REST channel would refuse most of a burst like this, so the servers run
with it raised (RATE_LIMIT_PER_MINUTE).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from typing import List, Tuple, Union

import httpx

from bench.load import NO_SENDER_LIMIT, ClusterTarget, Single

QUESTIONS = ["办护照要带什么", "要多少钱", "在哪里办", "多久能办好"]


async def burst(url: str, messages: int) -> Tuple[float, int, str]:
    """Send `messages` messages of one new sender at once: (seconds until all answered, answered, sender)."""
    sender = f"burst-{uuid.uuid4().hex[:10]}"
    limits = httpx.Limits(max_connections=messages + 5)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:

        async def one(i: int) -> bool:
            response = await client.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": QUESTIONS[i % len(QUESTIONS)]}
            )
            return response.status_code == 200 and bool(response.json())

        await client.post(f"{url}/webhooks/rest/webhook", json={"sender": "warm-up", "message": "你好"})
        started = time.perf_counter()
        answered = await asyncio.gather(*(one(i) for i in range(messages)))
    return time.perf_counter() - started, sum(answered), sender


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--only", choices=["single", "cluster"])
    args = parser.parse_args()
    rows: List[str] = []
    for name in ("single", "cluster"):
        if args.only and name != args.only:
            continue
        print(f"starting {name}…", flush=True)
        target: Union[Single, ClusterTarget] = (
            Single(env=NO_SENDER_LIMIT) if name == "single" else ClusterTarget(env=NO_SENDER_LIMIT)
        )
        try:
            seconds, answered, _ = asyncio.run(burst(target.url, args.messages))
        finally:
            target.stop()
        rows.append(
            f"{name:<8} {args.messages} messages of one sender at once: all answered after {seconds:.1f} s "
            f"({answered}/{args.messages} with a reply)"
        )
        print(rows[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
