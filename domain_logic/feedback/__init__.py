"""好差评: ratings, the 差评 case workflow, the unanswered-questions inbox, and their stores.

calendar – working-day deadlines (weekend-aware)
store    – ratings and cases behind one interface (SQLAlchemy: SQLite by default, PostgreSQL via DATABASE_URL),
           and the schema and migrations of the whole feedback database
inbox    – unanswered questions and what staff did with them (same database, its own store)
report   – a period's figures, computed from the stores' rows
"""
