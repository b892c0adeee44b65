"""The base layer: what every process of the project shares, depending on nothing of ours.

settings – every environment variable the project reads, its default, and the project's paths
privacy  – masking of personal numbers; salted sender-id hashes; masked logging
database – one way to open a SQLAlchemy engine (SQLite kept open, in WAL mode)
spool    – a durable local queue for writes the shared database could not take, encrypted
admin    – the admin token that guards Rasa's HTTP API and the reload routes
local_secret – a secret kept in an owner-only file of var/ (the token, the salt, the spool's key)

It imports only the standard library and third-party packages (tests/test_layers.py).
"""
