"""What the assistant does without Rasa, shared by the action server, the console and the tools:
one package per capability, each owning its store and rules, and the wording and decision they share.

checklist/ – one-trip preparation (一次性告知): plans, free-text answers, the sheet, saved progress
feedback/  – 好差评: ratings, the 差评 case workflow, the report
inbox/     – the unanswered-questions inbox and its triage
handover/  – human help (人工帮办): the queue, agents' conversations, callbacks, staffed hours
staff/     – the console's accounts, sessions and four-eyes drafts
replies    – how each part of a service guide is worded for the citizen
decision   – answer, answer with alternatives, ask one short question, or say there is no guide
calendar   – working days (差评 deadlines, staffed days)

It may import `common` and `knowledge_base`, never Rasa or a package above it (tests/test_layers.py).
"""
