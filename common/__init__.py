"""The base layer: what every process of the project shares, depending on nothing of ours.

settings – every environment variable the project reads, its default, and the project's paths
privacy  – masking of personal numbers; salted sender-id hashes; masked logging
database – the persistence layer: one engine per URL, the schema registry, migrations, Database
spool    – a durable local queue for writes the shared database could not take, encrypted
admin    – the admin token that guards Rasa's HTTP API and the reload routes
local_secret – a secret kept in an owner-only file of var/ (the token, the salt, the spool's key)
rasa_client – the one way to talk to Rasa's REST channel (relays, console, make shell)
rate_limit – the per-sender and per-address limits of the public channels
text     – one normalisation of citizens' text (traditional → simplified, full-width, length)
page_assets – the local font and health check of every page the project serves
kb_reload – asking the running servers to re-read the knowledge base now
var_dir  – var/ kept owner-only

It imports only the standard library and third-party packages (tests/test_layers.py).
"""
