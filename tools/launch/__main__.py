"""`python -m tools.launch` is `make run`; `python -m tools.launch cluster …` is `make run-cluster`."""

import sys

from tools.launch import cluster, single_machine

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["cluster"]:
        raise SystemExit(cluster.main(argv[1:]))
    raise SystemExit(single_machine.main(argv))
