"""Starting the service's processes: the one place that does it.

processes.py       the command line of every process and `ProcessGroup`, which starts them with their
                   logs, watches them and stops them together; `make run`, the cluster, the tests and
                   the benchmark all start processes through it
single_machine.py  `make run` (`python -m tools.launch`)
cluster.py         `make run-cluster` (`python -m tools.launch cluster`)
"""
