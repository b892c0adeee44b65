"""The Telegram channel: a relay between the Telegram Bot API and the assistant's REST channel.

    TELEGRAM_BOT_TOKEN=123:abc python -m relays.telegram          # long polling
    TELEGRAM_WEBHOOK_URL=https://… TELEGRAM_WEBHOOK_SECRET=… python -m …      # webhook

Built on python-telegram-bot's own Application, so updates that crashed Rasa's
Telegram channel for others (edits, stickers, photos, voice, documents, group
chatter) reach a handler here and get a polite answer, or none in a group.
Updates are processed concurrently; one chat's messages keep their order.

While a person helps the citizen (人工帮办, relays/human_help.py) the chat's messages go
to the agent instead of the assistant, and a background task sends the agent's replies (and
the assistant's word when the help ends) every HANDOVER_POLL_SECONDS.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import weakref
from dataclasses import dataclass
from typing import List, Optional, TypedDict

from telegram import Bot, BotCommand, Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from relays.base import Relay, Turn
from common.rasa_client import (
    TEXT_ONLY,
    UNAVAILABLE,
    BotMessage,
)
from relays.telegram_render import CallbackPayloads, keyboard, message_html, split_message
from common import settings
from common.privacy import install_log_masking

log = logging.getLogger("relays.telegram")

HELP = (
    "我是政务服务助手，可以告诉您办事要带什么材料、怎么办、在哪办、多久办好、收不收费，"
    "并帮您逐项核对材料，争取一次办成。\n\n"
    "直接用文字提问即可，比如：\n• 办护照要带什么\n• 孩子出生了要办哪些手续\n• 营业执照在哪里办\n\n"
    "命令：\n/start 开始\n/help 使用说明\n/feedback 评价服务\n/reset 清除本次对话，重新开始"
)
COMMANDS = [
    BotCommand("start", "开始"),
    BotCommand("help", "使用说明"),
    BotCommand("feedback", "评价服务"),
    BotCommand("reset", "清除对话，重新开始"),
]
EDITED = "修改过的消息我无法处理。" + TEXT_ONLY
BUTTON_EXPIRED = "这个按钮已过期，请重新提问。"
# Commands are intents the assistant already has; the relay adds no rules of its own.
COMMAND_PAYLOADS = {"start": "/greet", "feedback": "/give_feedback", "reset": "/restart"}
CHANNEL = "telegram"
SENDER = re.compile(r"^telegram-(-?\d+)(?:-\d+)?$")  # as sender_of makes them: the chat, and in a group the member


@dataclass(frozen=True)
class Chat:
    """Where a Telegram reply goes."""

    bot: Bot
    chat_id: int


class TelegramRelay(Relay[Chat, None]):
    """Carries each chat's messages to the assistant and its replies back, in order."""

    name = CHANNEL

    def __init__(self, rasa_url: str) -> None:
        super().__init__(rasa_url)
        self.payloads = CallbackPayloads()
        self._chat_locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()
        self._delivering: Optional[asyncio.Task] = None

    def install(self, app: Application) -> None:
        app.add_handler(CommandHandler("help", self.on_help))
        app.add_handler(CommandHandler(list(COMMAND_PAYLOADS), self.on_command))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(filters.UpdateType.EDITED, self.on_edited))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND & filters.ChatType.PRIVATE, self.on_help)
        )  # a command we do not have
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self.on_not_text))
        app.add_handler(TypeHandler(Update, self.on_anything_else))
        app.add_error_handler(self.on_error)

    # ---- the agent's replies (人工帮办) ---------------------------------------
    async def start_delivering(self, app: Application) -> None:
        self._delivering = asyncio.create_task(self.deliver_forever(app.bot))

    async def stop_delivering(self, app: Application) -> None:
        if self._delivering is not None:
            self._delivering.cancel()

    async def deliver_forever(self, bot: Bot) -> None:
        while True:
            try:
                await self.deliver_agent_replies(bot)
            except Exception:  # noqa: BLE001 - a database or Telegram hiccup: try again at the next tick
                log.warning("could not deliver the agents' replies", exc_info=True)
            await asyncio.sleep(settings.handover_poll_seconds())

    async def deliver_agent_replies(self, bot: Bot) -> None:
        """Every chat a person is helping: the agent's new replies, and the assistant's word when the help ended."""
        for sender in await self.human.watched(CHANNEL):
            chat = SENDER.match(sender)
            if chat is None:
                continue
            async with self._lock(sender):
                await self.deliver(Chat(bot, int(chat.group(1))), await self.human.news(sender))

    # ---- handlers -------------------------------------------------------
    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None  # the handler's filter lets only messages through
        text = self._addressed_text(message, context.bot.username)
        if text is None:
            return  # group chatter not meant for the bot
        if not text.strip():
            await self._send_plain(message, TEXT_ONLY)
            return
        await self.relay_message(message, text)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None  # CommandHandler handles text messages only
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        await self.relay_message(message, COMMAND_PAYLOADS[command])

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None  # both its handlers let only messages through
        await self._send_plain(update.effective_message, HELP)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None  # CallbackQueryHandler handles callback queries only
        await query.answer()  # stop the spinner on the citizen's button at once
        if query.message is None or not isinstance(query.message, Message):
            return  # the message with the button is too old for Telegram to show us
        payload = self.payloads.payload_of(query.data or "")
        if payload is None:
            await self._send_plain(query.message, BUTTON_EXPIRED)
            return
        await self.relay_message(query.message, payload, sender=self.sender_of(query.message, query.from_user.id))

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None  # an edited message or channel post
        if self._addressed_text(message, context.bot.username, any_content=True) is not None:
            await self._send_plain(message, EDITED)

    async def on_not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, documents, locations…: ask for text, unless it is group chatter."""
        message = update.effective_message
        assert message is not None  # the handler's filter lets only messages through
        if message.new_chat_members or message.left_chat_member or message.pinned_message:
            return  # service messages in a group
        if self._addressed_text(message, context.bot.username, any_content=True) is not None:
            await self._send_plain(message, TEXT_ONLY)

    async def on_anything_else(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Member changes, polls, channel posts…: nothing for a citizen to read."""
        log.debug("ignored update %s", update.update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update failed: %s", type(context.error).__name__, exc_info=context.error)
        if isinstance(update, Update) and update.effective_message:
            try:
                await self._send_plain(update.effective_message, UNAVAILABLE)
            except TelegramError:
                pass

    # ---- relaying -------------------------------------------------------
    async def relay_message(self, message: Message, text: str, sender: Optional[str] = None) -> None:
        """Send `text` to the assistant as this chat, and its replies back; one chat at a time."""
        sender = sender or self.sender_of(message, message.from_user.id if message.from_user else None)
        async with self._lock(sender):
            try:
                await message.chat.send_action(ChatAction.TYPING)
            except TelegramError:
                pass  # only a courtesy
            await self.relay(sender, text, Chat(message.get_bot(), message.chat_id))

    def _lock(self, sender: str) -> asyncio.Lock:
        """One per conversation: its messages, and the agent's replies, go out in order."""
        lock = self._chat_locks.get(sender)
        if lock is None:
            lock = self._chat_locks[sender] = asyncio.Lock()
        return lock

    async def deliver(self, to: Chat, replies: List[BotMessage]) -> None:
        """Telegram HTML in parts of at most 4,096 characters, the buttons as an inline keyboard on the last."""
        for reply in replies:
            markup = keyboard(reply.buttons, self.payloads)
            parts = split_message(message_html(reply)) or (["请选择："] if markup else [])
            for i, part in enumerate(parts):
                await to.bot.send_message(
                    to.chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup if i == len(parts) - 1 else None
                )

    async def refuse(self, to: Chat, turn: Turn) -> None:
        await to.bot.send_message(to.chat_id, turn.refusal or UNAVAILABLE)

    @staticmethod
    def sender_of(message: Message, user_id: Optional[int]) -> str:
        """One conversation per private chat; in a group, one per member."""
        if message.chat.type == ChatType.PRIVATE or user_id is None:
            return f"telegram-{message.chat.id}"
        return f"telegram-{message.chat.id}-{user_id}"

    @staticmethod
    def _addressed_text(message: Message, username: Optional[str], any_content: bool = False) -> Optional[str]:
        """The text meant for the bot, or None for group chatter that is not addressed to it."""
        text = message.text or message.caption or ""
        if message.chat.type == ChatType.PRIVATE:
            return text
        mention = f"@{username}" if username else None
        replied_to_bot = bool(
            message.reply_to_message
            and message.reply_to_message.from_user
            and message.reply_to_message.from_user.is_bot
            and message.reply_to_message.from_user.username == username
        )
        if mention and mention.lower() in text.lower():
            start = text.lower().index(mention.lower())
            return (text[:start] + text[start + len(mention) :]).strip()
        if replied_to_bot:
            return text
        return None

    @staticmethod
    async def _send_plain(message: Message, text: str) -> None:
        await message.chat.send_message(text)


def build_application(token: str, rasa_url: str, api_url: Optional[str] = None) -> Application:
    relay = TelegramRelay(rasa_url)
    builder: ApplicationBuilder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(AIORateLimiter(max_retries=3))  # ~30 msg/s overall, ~1/s per chat; waits out flood control
        .concurrent_updates(64)
        .post_shutdown(lambda app: relay.close())
    )
    if api_url:  # a local Bot API server (or the tests' fake one)
        urls = _api_urls(api_url)
        builder = builder.base_url(urls["base_url"]).base_file_url(urls["base_file_url"])

    async def post_init(app: Application) -> None:
        await _set_commands(app)
        await relay.start_delivering(app)

    app = builder.post_init(post_init).post_stop(relay.stop_delivering).build()
    relay.install(app)
    return app


class _ApiUrls(TypedDict, total=False):
    base_url: str
    base_file_url: str


def _api_urls(api_url: Optional[str]) -> _ApiUrls:
    """Where a local Bot API server (or the tests' fake one) lives; Telegram's own when unset."""
    if not api_url:
        return {}
    root = api_url.rstrip("/")
    return {"base_url": f"{root}/bot", "base_file_url": f"{root}/file/bot"}


async def _check_token(token: str, api_url: Optional[str]) -> None:
    """Ask Telegram who we are before starting, so a bad token is one clear message, not a retry loop."""
    async with Bot(token, **_api_urls(api_url)):
        pass  # initialising the bot calls getMe


async def _set_commands(app: Application) -> None:
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description="政务服务助手 Telegram channel")
    parser.add_argument("--rasa-url", default=settings.rasa_url())
    parser.add_argument(
        "--webhook-url",
        default=settings.telegram_webhook_url(),
        help="public https URL Telegram should post to; long polling if unset",
    )
    parser.add_argument("--webhook-port", type=int, default=settings.telegram_webhook_port())
    parser.add_argument("--webhook-listen", default=settings.telegram_webhook_listen())
    args = parser.parse_args(argv)
    install_log_masking()
    logging.basicConfig(level=settings.log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the bot token

    token = settings.telegram_bot_token()
    if not token:
        print(
            "错误：没有设置 TELEGRAM_BOT_TOKEN。请向 @BotFather 申请机器人令牌，然后运行：\n"
            "  TELEGRAM_BOT_TOKEN=123456:ABC... make telegram\n"
            "Error: TELEGRAM_BOT_TOKEN is not set.",
            file=sys.stderr,
        )
        return 2
    secret = settings.telegram_webhook_secret()
    if args.webhook_url and not secret:
        print(
            "错误：webhook 模式必须设置 TELEGRAM_WEBHOOK_SECRET（1–256 个字母、数字、_ 或 -）。\n"
            "Error: webhook mode needs TELEGRAM_WEBHOOK_SECRET.",
            file=sys.stderr,
        )
        return 2
    api_url = settings.telegram_api_url()
    loop = asyncio.new_event_loop()  # kept: run_polling/run_webhook run on the current loop
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_check_token(token, api_url))
    except InvalidToken:
        print(
            "错误：Telegram 不接受这个 TELEGRAM_BOT_TOKEN（无效或已被撤销）。请到 @BotFather 核对令牌。\n"
            "Error: Telegram rejected TELEGRAM_BOT_TOKEN.",
            file=sys.stderr,
        )
        return 3
    except TelegramError as exc:
        print(
            f"错误：连不上 Telegram（{exc}）。请检查网络或代理设置。\nError: cannot reach the Telegram Bot API.",
            file=sys.stderr,
        )
        return 4
    app = build_application(token, args.rasa_url, api_url)
    if args.webhook_url:
        app.run_webhook(
            listen=args.webhook_listen,
            port=args.webhook_port,
            url_path="telegram",
            webhook_url=args.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
