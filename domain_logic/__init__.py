"""What the assistant does without Rasa: the domain logic the action server, the command-line
tools and the coming staff console share.

feedback/  – 好差评: ratings, cases, the unanswered-questions inbox, the report
checklist/ – one-trip preparation (一次性告知): plans, free-text answers, the sheet, saved progress
replies    – how each part of a service guide is worded for the citizen

It may import `common` and `knowledge_base`, never `rasa`, `rasa_sdk`, `actions` or `bot`
(tests/test_layers.py).
"""
