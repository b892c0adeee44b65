"""The staff console: a web app for the people who keep the assistant right.

Accounts and roles, the knowledge base (drafts, four-eyes publishing, history, freshness), 好差评
and the unanswered-questions inbox, over the same stores and checked writes the command-line
tools use. `python -m console serve` (make run starts it), `python -m console create-admin NAME`.
How a page is added: docs/console.md.
"""
