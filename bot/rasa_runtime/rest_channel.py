"""The REST channel every citizen's message comes through: Rasa's, with checks in front of it.

credentials.yml names `bot.rasa_runtime.rest_channel.CheckedRestInput` instead of `rest:`. It
keeps Rasa's name `rest`, so its path (/webhooks/rest/webhook), its request, its reply and
`?stream=true` are Rasa's own. Before a message gets to Rasa (its lock, its tracker store):

- the caller's address may send RATE_LIMIT_PER_ADDRESS requests a minute, unless it is one of
  our own front ends (TRUSTED_PROXIES: nginx, the kiosk and the relay on this machine), whose
  X-Forwarded-For header then names the citizen's address;
- the body is read no further than MAX_REQUEST_BYTES and checked (bot/rasa_runtime/rest_request.py);
- a sender may send RATE_LIMIT_PER_MINUTE messages a minute, as in the kiosk and the relay.

A refusal is a 4xx with {"error": "…"}; a 429 says when to try again (Retry-After).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
from asyncio import CancelledError
from functools import partial
from typing import Awaitable, Callable, Iterable, List, Optional, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from common.rate_limit import SenderRateLimiter
from bot.rasa_runtime.rest_request import IncomingMessage, Refusal, read_message, too_fast, too_large
from common import settings

logger = logging.getLogger(__name__)
_json = partial(json.dumps, ensure_ascii=False)


class TrustedProxies:
    """Addresses (or networks) of our own front ends, from TRUSTED_PROXIES."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(e, strict=False) for e in entries]

    def __contains__(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_of(self, peer: str, forwarded_for: Optional[str]) -> str:
        """The citizen's address: the last X-Forwarded-For hop when a front end of ours sent it, else the peer."""
        if forwarded_for and peer in self:
            last = forwarded_for.split(",")[-1].strip()
            try:
                return str(ipaddress.ip_address(last))
            except ValueError:
                pass
        return peer


def within(limiter: SenderRateLimiter, key: str) -> None:
    """Count one message of `key`; Refusal (429) when it is over its limit."""
    wait = limiter.retry_after(key)
    if wait:
        raise too_fast(math.ceil(wait))


async def read_body(request: Request) -> bytes:
    """The body, read no further than MAX_REQUEST_BYTES.

    Sanic lifts its own size limit for a streamed route; the one set here also bounds what
    Sanic reads of the rest after the reply (it closes the connection instead).
    """
    stream = request.stream
    assert stream is not None  # Sanic sets it for every request it hands to a route
    stream.request_max_size = settings.max_request_bytes()
    body = bytearray()
    try:
        async for chunk in stream:
            body += chunk
    except PayloadTooLarge:
        raise too_large() from None
    return bytes(body)


def refused(refusal: Refusal) -> HTTPResponse:
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
    return response.json(refusal.body(), status=refusal.status, headers=headers, dumps=_json)


class CheckedRestInput(RestInput):
    """Rasa's REST channel (same name, path, request and reply), taking only what rest_request.py accepts."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        self.per_sender = SenderRateLimiter(settings.rate_limit_per_minute())
        self.per_address = SenderRateLimiter(settings.rate_limit_per_address())
        self.trusted = TrustedProxies(settings.trusted_proxies())

    async def admit(self, request: Request) -> IncomingMessage:
        """The request's message, counted against its limits; Refusal if it is not taken."""
        address = self.trusted.client_of(request.ip, request.headers.get("x-forwarded-for"))
        if address not in self.trusted:
            within(self.per_address, address)
        message = read_message(await read_body(request))
        within(self.per_sender, message.sender)
        return message

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's two routes; the webhook streams its body in, so that a big one is never read whole."""
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                message = await self.admit(request)
            except Refusal as refusal:
                logger.debug("refused a REST request: %s %s", refusal.status, refusal.en)
                return refused(refusal)
            channel = message.input_channel or self.name()
            if bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, message.text, message.sender, channel, message.metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:  # as Rasa's own channel: a failed turn answers what was said before it failed
                await on_new_message(
                    UserMessage(
                        message.text, collector, message.sender, input_channel=channel, metadata=message.metadata
                    )
                )
            except CancelledError:
                logger.error("a REST message timed out")
            except Exception:
                logger.exception("a REST message failed")
            messages: List = collector.messages
            return response.json(messages)

        return webhook
