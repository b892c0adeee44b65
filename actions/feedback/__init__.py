"""好差评: ratings, the 差评 case workflow, and their store.

calendar – working-day deadlines (weekend-aware)
store    – ratings and cases behind one interface (SQLAlchemy: SQLite by default, PostgreSQL via DATABASE_URL)
"""
