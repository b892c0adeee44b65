"""The unanswered-questions inbox: what the bot could not answer well, for staff to learn from.

store.py    the questions, masked, and what staff did with each (the action server writes, staff read)
triage.py   grouping similar questions and turning a group into an alias, an FAQ entry, a training
            example, or dismissing it: the same for `kb inbox` and the console's 待改进 page
"""
