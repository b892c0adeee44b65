"""What the REST channel takes: one message in Rasa's request format, within stated limits.

Rasa's own RestInput takes any JSON: without a sender the message joins the conversation
"default" (shared by every such caller), a number or a list reaches the NLU as the message,
and a body of any size is read. Here a request body is checked before anything of Rasa sees
it; what is refused never reaches the tracker store, and the refusal says, in Chinese and in
English, what was wrong. The limits are settings (docs/operations.md "Security").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Optional

from common.rate_limit import TOO_FAST
from common import settings


class Refusal(Exception):
    """A request the channel does not take: its HTTP status and why, for the caller."""

    def __init__(self, status: int, zh: str, en: str, retry_after: Optional[int] = None) -> None:
        super().__init__(en)
        self.status, self.zh, self.en, self.retry_after = status, zh, en, retry_after

    def body(self) -> Dict[str, str]:
        return {"error": f"{self.zh} {self.en}"}


@dataclass(frozen=True)
class IncomingMessage:
    """The fields of Rasa's request, checked."""

    sender: str
    text: str
    input_channel: Optional[str]
    metadata: Optional[Dict[str, Any]]


def too_large() -> Refusal:
    limit = settings.max_request_bytes()
    return Refusal(413, f"请求太大了（最多 {limit} 字节）。", f"Request body too large: at most {limit} bytes.")


def too_fast(seconds: int) -> Refusal:
    return Refusal(429, TOO_FAST, f"Too many messages: try again in {seconds} s.", retry_after=seconds)


def read_message(body: bytes) -> IncomingMessage:
    """The message in `body`, or Refusal saying what is wrong with it."""
    if len(body) > settings.max_request_bytes():
        raise too_large()
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested deeper than the parser goes
        request = None
    if not isinstance(request, dict):
        raise Refusal(400, "请求格式不正确，应为 JSON 对象。", "The body must be a JSON object.")
    longest_id = settings.max_sender_chars()
    sender = request.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > longest_id or not sender.isprintable():
        raise Refusal(
            400,
            f"缺少有效的 sender（1 至 {longest_id} 个可见字符）。",
            f"'sender' must be a string of 1 to {longest_id} printable characters.",
        )
    text = request.get("message")
    if not isinstance(text, str):
        raise Refusal(400, "message 必须是文字。", "'message' must be a string.")
    longest_text = settings.max_message_chars()
    if len(text) > longest_text:
        raise Refusal(
            413,
            f"消息太长了，请控制在 {longest_text} 字以内。",
            f"'message' is too long: at most {longest_text} characters.",
        )
    channel = request.get("input_channel")
    if channel is not None and (not isinstance(channel, str) or len(channel) > longest_id):
        raise Refusal(
            400,
            f"input_channel 应为不超过 {longest_id} 个字符的文字。",
            f"'input_channel' must be a string of at most {longest_id} characters.",
        )
    metadata = request.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise Refusal(400, "metadata 应为 JSON 对象。", "'metadata' must be a JSON object.")
    return IncomingMessage(sender, text, channel or None, metadata)
