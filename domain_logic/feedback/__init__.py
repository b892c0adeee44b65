"""好差评: ratings, the 差评 case workflow, and the period report.

store        – ratings and cases behind one interface (DATABASE_URL; common.database migrates it)
report       – a period's figures, computed from the stores' rows
report_files – the same figures for staff: a table, a CSV for Excel, PNG charts
"""
