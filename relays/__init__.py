"""Channels: how citizens reach the assistant (Telegram, the service-hall kiosk).

A channel only carries messages to Rasa's REST channel and dresses the replies
for its screen. It knows nothing of the knowledge base or of business rules.
"""
