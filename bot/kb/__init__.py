"""The staff tool for the knowledge base: `python -m bot.kb …` (see cli.py)."""
