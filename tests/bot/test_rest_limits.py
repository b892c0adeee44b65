"""The REST channel's checks and limits on their own (over HTTP: tests/bot/test_rest_channel.py)."""

from __future__ import annotations

import pytest

from common.rate_limit import SenderRateLimiter
from bot.rasa_runtime.rest_request import Refusal, read_message
from bot.rasa_runtime.rest_channel import TrustedProxies


def test_x_forwarded_for_is_believed_only_from_a_front_end():
    trusted = TrustedProxies(["127.0.0.1", "::1", "10.1.0.0/16"])
    assert trusted.client_of("127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert trusted.client_of("10.1.2.3", "198.51.100.1, 203.0.113.5") == "203.0.113.5"  # the hop nginx added
    assert trusted.client_of("203.0.113.9", "127.0.0.1") == "203.0.113.9"  # anyone else's header is ignored
    assert trusted.client_of("127.0.0.1", "not an address") == "127.0.0.1"
    assert "10.1.200.7" in trusted and "10.2.0.1" not in trusted and "nonsense" not in trusted


def test_the_limiter_says_how_long_to_wait(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("common.rate_limit.time.monotonic", lambda: clock[0])
    limiter = SenderRateLimiter(limit=2, window=60)
    assert limiter.retry_after("a") == 0 and limiter.retry_after("a") == 0
    clock[0] += 15
    assert limiter.retry_after("a") == pytest.approx(45)
    assert limiter.retry_after("b") == 0  # another key has its own count
    clock[0] += 46
    assert limiter.retry_after("a") == 0


def test_the_limits_are_settings(monkeypatch):
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "5")
    monkeypatch.setenv("MAX_SENDER_CHARS", "3")
    assert read_message(b'{"sender": "abc", "message": "12345"}').text == "12345"
    with pytest.raises(Refusal) as refused:
        read_message(b'{"sender": "abc", "message": "123456"}')
    assert refused.value.status == 413 and "at most 5 characters" in refused.value.en
    with pytest.raises(Refusal):
        read_message(b'{"sender": "abcd", "message": "1"}')
    monkeypatch.setenv("MAX_REQUEST_BYTES", "20")
    with pytest.raises(Refusal) as refused:
        read_message(b'{"sender": "abc", "message": "12345"}')
    assert refused.value.status == 413
