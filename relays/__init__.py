"""Relays: how citizens reach the assistant (the service-hall kiosk, Telegram; WeChat next).

A relay receives a message in its own protocol, runs it through the pipeline every relay shares
(base.py: limits, the human-help divert, the call to Rasa's REST channel) and renders and delivers
the replies for its screen. It knows nothing of the knowledge base or of business rules.
"""
