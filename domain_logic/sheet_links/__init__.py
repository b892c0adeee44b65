"""扫码带走 / the list to take away: a citizen's 一次性告知单 at a link of its own, for a phone.

store.py  the pages behind their random tokens (no personal data in the link, none in clear in the
          page), each for SHEET_LINK_DAYS (7) unless staff revoke it. It reads no knowledge base:
          the action server stores the page it rendered, and the kiosk serves it.
"""
