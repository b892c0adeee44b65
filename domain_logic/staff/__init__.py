"""The staff console's own store: accounts and roles, login attempts, sessions, knowledge-base drafts.

One database (STAFF_DB_URL, default the one SQLite file var/zhengwu.db, PostgreSQL works too), apart from the
feedback database: it is the console's, and no citizen-facing process opens it.
"""
