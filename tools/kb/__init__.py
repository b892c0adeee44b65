"""The staff tool for the knowledge base: `python -m tools.kb …` (see cli.py)."""
