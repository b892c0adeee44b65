"""Human help (人工帮办): the queue, the conversations with agents, the callback tickets, and when
the desk is staffed.

store.py          the HandoverStore (HANDOVER_DB_URL): what the action server, the relays and the
                  console share. It reads no knowledge base, so the relays may use it
staffed_hours.py  the one place that decides "staffed now"
"""
