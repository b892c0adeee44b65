"""One-trip preparation (一次性告知): a personalised checklist built in conversation.

plan     – which questions and materials apply to a citizen (pure functions)
understand – reading a citizen's free-text answers
sheet    – the finished 一次性告知单 as plain text, Telegram HTML and a printable page
store    – saved progress per citizen, so they can resume days later
"""
