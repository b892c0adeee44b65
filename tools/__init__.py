"""What staff, operators and developers run by hand, over the packages the service is made of.

kb/          the knowledge-base tool (`python -m tools.kb`: validate, export, import, inbox, reload)
feedback/    the 好差评 cases and the period report (`python -m tools.feedback`)
evaluation/  `make eval`: the citizen questions end to end, the calibration, the parse metrics
launch/      every process of the service started, watched and stopped: `make run`, the cluster,
             the tests and the benchmark
chat.py      `make shell`: a terminal conversation over the REST channel
"""
