"""The WeChat channel: a relay between a WeChat Official Account (公众号/服务号) and the assistant.

    WECHAT_TOKEN=… WECHAT_APP_ID=… WECHAT_APP_SECRET=… python -m relays.wechat      (make wechat)
    python -m relays.wechat menu [--apply]          the account's custom menu from deploy/wechat_menu.yml

In the account's 服务器配置, the URL is https://<your host>/wechat (an HTTPS proxy in front of
WECHAT_HOST:WECHAT_PORT), the Token is WECHAT_TOKEN, and the mode follows WECHAT_AES_KEY: set, the
messages are encrypted (安全模式; WECHAT_AES_KEY_PREVIOUS is tried when a message fails with the
current key, for a key change); unset, plaintext. The protocol is wechatpy's: signatures, AES, the
message parser, the replies and the API client.

The 5-second rule. WeChat gives up on a call after 5 s and calls again, three times. A message is
taken once (its MsgId, or an event's sender and time, kept across restarts: wechat_store.py); an
answer ready within WECHAT_PASSIVE_SECONDS (4) is the passive reply; a slower one is answered
"success" at once and sent by 客服消息 when it is ready, unless a retry of the same message came in
time to carry it. One answer is one message where it fits (2,048 bytes), else as few as it takes,
at most five (the quota one citizen message allows within 48 h). When WeChat refuses a push (45015:
the 48 h are over; 45047: the quota is spent) it is logged, and the citizen's next reply says so.

Buttons become a numbered list, and a reply of the number presses the button. A voice message is
read from its Recognition field where WeChat still fills it; without it the citizen is asked for
text. `subscribe` gets the welcome, and the menu's CLICK keys are intents the assistant has.
While a person helps the citizen (人工帮办) the agent's replies go out by 客服消息.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, cast

import yaml
from aiohttp import web
from wechatpy import parse_message
from wechatpy.client import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.utils import check_signature

from common import settings
from common.page_assets import add_asset_routes
from common.privacy import install_log_masking
from common.rasa_client import TEXT_ONLY, UNAVAILABLE, BotMessage
from relays.base import Relay, Turn
from relays.wechat_render import as_text, one_message_with_link, packed, pressed, split_message
from relays.wechat_store import WeChatStore

log = logging.getLogger("relays.wechat")

CHANNEL = "wechat"
SUCCESS = "success"  # WeChat's "received, nothing to say now"
MENU_FILE = settings.ROOT / "deploy" / "wechat_menu.yml"
# The menu's CLICK keys, as intents the assistant already has: the relay adds no rules of its own.
MENU_INTENTS = {
    "GUIDE": "/greet",
    "CHECKLIST": "/start_checklist",
    "FEEDBACK": "/give_feedback",
    "HUMAN": "/request_human",
}
WELCOME = "/greet"
VOICE_NOT_READ = (
    "抱歉，这条语音没有转成文字（公众号的语音识别没有开启，或微信已不再提供），我暂时听不懂语音。"
    "请发送文字，比如“办护照要带什么”。"
)
UNDELIVERED = "（上一条回答没能送达您，如仍需要，请再问一次。）"
UNDELIVERABLE = (45015, 45047)  # the 48 h since the citizen's message are over; the quota of 5 is spent


@dataclass(frozen=True)
class Citizen:
    """Where a WeChat reply goes: the citizen's openid, our account's id, and whether the reply can
    still be the passive answer to their call (else it goes by 客服消息)."""

    openid: str
    account: str
    passive: bool = True


@dataclass
class Pending:
    """An answer being worked on: the first call, or a retry of it, may carry it passively."""

    task: "asyncio.Task[Turn]"
    claimed: bool = False  # delivered, passively or pushed: nobody delivers it again
    waiting: int = 0  # calls from WeChat waiting for it now


class Client(WeChatClient):
    """wechatpy's API client, on WECHAT_API_BASE (a local stand-in in the tests; WeChat's own otherwise)."""

    def __init__(self, appid: str, secret: str, session: Any = None) -> None:
        super().__init__(appid, secret, session=session)
        self.API_BASE_URL = settings.wechat_api_base()

    def fetch_access_token(self) -> Dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def token_storage() -> Any:
    """Where the access token is kept: Redis when WECHAT_TOKEN_STORE=redis, so that several relays
    share one token (each new fetch would invalidate the others'), else this process's memory."""
    if settings.wechat_token_store() != "redis":
        return MemoryStorage()
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    r = settings.redis()
    return RedisStorage(redis.Redis(host=r["REDIS_HOST"], port=int(r["REDIS_PORT"]), db=int(r["REDIS_DB"])))


class WeChatRelay(Relay[Citizen, Optional[str]]):
    """Each call from WeChat: its message taken once, answered passively or pushed, in order per citizen."""

    name = CHANNEL

    def __init__(self, rasa_url: str, client: Optional[WeChatClient] = None, store: Optional[WeChatStore] = None):
        super().__init__(rasa_url)
        self.client = client or Client(settings.wechat_app_id(), settings.wechat_app_secret(), token_storage())
        self.store = store or WeChatStore()
        self.passive_seconds = settings.wechat_passive_seconds()
        self.pending: Dict[str, Pending] = {}
        self.undelivered: Set[str] = set()
        self._background: Set["asyncio.Task[Any]"] = set()
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()

    # ---- receive ---------------------------------------------------------------------------------
    async def on_message(self, message: Any) -> Optional[str]:
        """The passive reply to one call (None: "success")."""
        key = message_key(message)
        already = self.pending.get(key)
        if already is not None:  # WeChat's retry while the answer is being worked on
            return await self._await_answer(key, already, self.citizen(message))
        if not await asyncio.to_thread(self.store.take, key):
            return None  # answered before (a retry after a restart, or after the push)
        text = self.text_of(message)
        if text is None:
            return None  # nothing for a citizen to read (unsubscribe, a location report…)
        if not text.startswith("/") and text in (VOICE_NOT_READ, TEXT_ONLY):
            return self.reply_xml(self.citizen(message), text)
        sender = sender_of(message.source)
        choice = pressed(text, await asyncio.to_thread(self.store.choices_of, sender))
        pending = Pending(asyncio.create_task(self._turn_in_order(sender, choice or text)))
        self.pending[key] = pending
        pending.task.add_done_callback(lambda task: self._finish(key, pending, self.citizen(message)))
        return await self._await_answer(key, pending, self.citizen(message))

    async def _turn_in_order(self, sender: str, text: str) -> Turn:
        lock = self._locks.get(sender)  # one per conversation while in use, as the Telegram relay keeps them
        if lock is None:
            lock = self._locks[sender] = asyncio.Lock()
        async with lock:
            return await self.turn(sender, text)

    async def _await_answer(self, key: str, pending: Pending, citizen: Citizen) -> Optional[str]:
        """The passive reply if the answer is ready within the window, else None ("success")."""
        pending.waiting += 1
        try:
            turn = await asyncio.wait_for(asyncio.shield(pending.task), self.passive_seconds)
        except asyncio.TimeoutError:
            pending.waiting -= 1
            if pending.task.done() and pending.waiting == 0:  # it came as the window closed: push it
                self._finish(key, pending, citizen)
            return None
        pending.waiting -= 1
        if pending.claimed:
            return None
        pending.claimed = True
        self.pending.pop(key, None)
        if turn.refusal:
            return await self.refuse(citizen, turn)
        return await self.deliver(citizen, turn.replies)

    def _finish(self, key: str, pending: Pending, citizen: Citizen) -> None:
        """An answer is ready and no call is waiting for it: it goes by 客服消息."""
        if pending.waiting or pending.claimed or pending.task.cancelled() or pending.task.exception() is not None:
            return
        pending.claimed = True
        self.pending.pop(key, None)
        turn, later = pending.task.result(), Citizen(citizen.openid, citizen.account, passive=False)
        self._spawn(self.refuse(later, turn) if turn.refusal else self.deliver(later, turn.replies))

    def text_of(self, message: Any) -> Optional[str]:
        """What the citizen said, as the assistant should hear it."""
        if message.type == "text":
            return message.content or ""
        if message.type == "voice":
            return (message.recognition or "").strip() or VOICE_NOT_READ
        if message.type == "event":
            event = getattr(message, "event", "")
            if event in ("subscribe", "subscribe_scan"):
                return WELCOME
            if event == "click":
                return MENU_INTENTS.get(message.key or "")
            return None
        return TEXT_ONLY  # an image, a video, a link, a location…

    @staticmethod
    def citizen(message: Any) -> Citizen:
        return Citizen(message.source, message.target)

    # ---- render and deliver ----------------------------------------------------------------------
    async def deliver(self, to: Citizen, replies: List[BotMessage]) -> Optional[str]:
        """One answer as one message where it fits: passively the first part and the rest pushed, or
        all of it pushed; the numbered choices remembered for the citizen's reply."""
        text, payloads = as_text(replies)
        link = next((c.get("link") for c in (r.custom.get("checklist") for r in replies) if isinstance(c, dict)), None)
        link_line = next((line for line in text.split("\n") if link and link in line), None)
        if link_line:  # a checklist: one message, the rest of it at its link (the quota is for answers)
            text = one_message_with_link(text, link_line)
        sender = sender_of(to.openid)
        await asyncio.to_thread(self.store.remember_choices, sender, payloads)
        if sender in self.undelivered:
            self.undelivered.discard(sender)
            text = f"{UNDELIVERED}\n\n{text}"
        parts = packed(text)
        if not parts:
            return None
        if to.passive:
            for part in parts[1:]:
                self._spawn(self.push(to.openid, part))
            return self.reply_xml(to, parts[0])
        for part in parts:
            await self.push(to.openid, part)
        return None

    async def refuse(self, to: Citizen, turn: Turn) -> Optional[str]:
        text = turn.refusal or UNAVAILABLE
        if to.passive:
            return self.reply_xml(to, text)
        await self.push(to.openid, text)
        return None

    async def push(self, openid: str, text: str) -> bool:
        """One 客服消息; a refusal by WeChat is logged, and told at the citizen's next message."""
        try:
            await asyncio.to_thread(self.client.message.send_text, openid, text)
            return True
        except WeChatClientException as exc:
            if exc.errcode in UNDELIVERABLE:
                self.undelivered.add(sender_of(openid))
                log.warning(
                    "WeChat refused a 客服消息 (%s: %s); the citizen is told at their next message",
                    exc.errcode,
                    exc.errmsg,
                )
            else:
                log.error("could not send a 客服消息: %s %s", exc.errcode, exc.errmsg)
            return False
        except Exception:  # noqa: BLE001 - the network: the answer is lost, the relay goes on
            log.exception("could not send a 客服消息")
            return False

    @staticmethod
    def reply_xml(to: Citizen, text: str) -> str:
        return TextReply(source=to.account, target=to.openid, content=split_message(text)[0]).render()

    # ---- human help: the agent's replies ----------------------------------------------------------
    async def deliver_agent_replies(self) -> None:
        for sender in await self.human.watched(CHANNEL):
            openid = sender[len("wechat-") :]
            news = await self.human.news(sender)
            if news:
                await self.deliver(Citizen(openid, "", passive=False), news)

    async def deliver_forever(self) -> None:
        while True:
            try:
                await self.deliver_agent_replies()
            except Exception:  # noqa: BLE001 - a database or WeChat hiccup: try again at the next tick
                log.warning("could not deliver the agents' replies", exc_info=True)
            await asyncio.sleep(settings.handover_poll_seconds())

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def sender_of(openid: str) -> str:
    return f"wechat-{openid}"


def message_key(message: Any) -> str:
    """What makes a message one message across WeChat's retries."""
    if message.id:
        return f"msg:{message.id}"
    return f"event:{message.source}:{message.time}:{getattr(message, 'event', '')}"


# ---- the HTTP side: verification, signatures, encryption --------------------------------------------
@dataclass
class Door:
    """The account's credentials as the server URL checks them."""

    token: str
    app_id: str
    aes_keys: List[str] = field(default_factory=list)
    max_age: int = 300

    def signed(self, query: Any) -> bool:
        try:
            check_signature(self.token, query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
        except InvalidSignatureException:
            return False
        try:
            return abs(time.time() - int(query.get("timestamp", "0"))) <= self.max_age
        except ValueError:
            return False

    def decrypt(self, body: str, query: Any) -> Optional[tuple]:
        """(the message's XML, the crypto that opened it), trying the current key, then the previous."""
        for key in self.aes_keys:
            crypto = WeChatCrypto(self.token, key, self.app_id)
            try:
                xml = crypto.decrypt_message(
                    body, query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", "")
                )
                return xml, crypto
            except Exception:  # noqa: BLE001 - wechatpy raises several kinds; the next key may open it
                continue
        return None


RELAY, DOOR = "wechat_relay", "wechat_door"


async def get_verify(request: web.Request) -> web.Response:
    """The server URL check of the account's 服务器配置: echo `echostr` when signed by our Token."""
    if not request.app[DOOR].signed(request.query):
        return web.Response(status=403, text="forbidden")
    return web.Response(text=request.query.get("echostr", ""))


async def post_message(request: web.Request) -> web.Response:
    door: Door = request.app[DOOR]
    if not door.signed(request.query):
        return web.Response(status=403, text="forbidden")
    body = await request.text()
    crypto = None
    if door.aes_keys:
        opened = door.decrypt(body, request.query)
        if opened is None:
            log.warning("a message that no key opens was refused")
            return web.Response(status=403, text="forbidden")
        body, crypto = opened
    try:
        message = parse_message(body)
    except Exception:  # noqa: BLE001 - not WeChat's XML: nothing to answer
        return web.Response(status=400, text="bad request")
    if message is None:
        return web.Response(status=400, text="bad request")
    reply = await request.app[RELAY].on_message(message)
    if reply is None:
        return web.Response(text=SUCCESS)
    if crypto is not None:
        reply = crypto.encrypt_message(reply, request.query.get("nonce", ""), request.query.get("timestamp"))
    return web.Response(text=reply, content_type="application/xml")


def build_app(relay: WeChatRelay, door: Door) -> web.Application:
    app = web.Application(client_max_size=settings.max_request_bytes())
    app[RELAY], app[DOOR] = relay, door
    app.router.add_get("/wechat", get_verify)
    app.router.add_post("/wechat", post_message)
    add_asset_routes(app)  # /healthz

    async def start_delivering(app: web.Application) -> None:
        relay._spawn(relay.deliver_forever())

    async def close(app: web.Application) -> None:
        for task in list(relay._background):
            task.cancel()
        await relay.close()

    app.on_startup.append(cast(Any, start_delivering))  # aiohttp 3.9 annotates its signals for an older aiosignal
    app.on_cleanup.append(cast(Any, close))
    return app


# ---- the custom menu ----------------------------------------------------------------------------------
class MenuError(ValueError):
    pass


def checked_menu(path: Path) -> Dict[str, Any]:
    """The menu in WeChat's form, or MenuError saying what breaks WeChat's rules (3 × 5, known keys)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MenuError(f"读不了菜单文件 {path}：{exc}") from exc
    top = data.get("button") if isinstance(data, dict) else None
    if not isinstance(top, list) or not 1 <= len(top) <= 3:
        raise MenuError("菜单最多 3 个一级菜单（button:），至少 1 个")
    for entry in top:
        entries = entry.get("sub_button", [entry]) if isinstance(entry, dict) else [None]
        if isinstance(entry, dict) and "sub_button" in entry and not 1 <= len(entry["sub_button"]) <= 5:
            raise MenuError(f"一级菜单“{entry.get('name')}”下最多 5 个二级菜单")
        for item in entries:
            if not isinstance(item, dict) or not str(item.get("name", "")).strip():
                raise MenuError("每个菜单项都要有名称（name:）")
            if item.get("type") == "click" and item.get("key") not in MENU_INTENTS:
                raise MenuError(f"“{item['name']}”的 key 应为 {'、'.join(MENU_INTENTS)} 之一")
    return {"button": top}


def menu_command(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m relays.wechat menu", description="公众号自定义菜单")
    parser.add_argument("--file", type=Path, default=MENU_FILE)
    parser.add_argument("--apply", action="store_true", help="在公众号上创建这个菜单（否则只检查）")
    args = parser.parse_args(argv)
    try:
        menu = checked_menu(args.file)
    except MenuError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(yaml.safe_dump(menu, allow_unicode=True, sort_keys=False))
    if not args.apply:
        print("检查通过。加 --apply 在公众号上创建。")
        return 0
    try:
        Client(settings.wechat_app_id(), settings.wechat_app_secret(), token_storage()).menu.create(menu)
    except WeChatClientException as exc:
        print(f"错误：微信拒绝了菜单（{exc.errcode}：{exc.errmsg}）", file=sys.stderr)
        return 1
    print("菜单已创建。")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    install_log_masking()
    logging.basicConfig(level=settings.log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if argv[:1] == ["menu"]:
        return menu_command(argv[1:])
    parser = argparse.ArgumentParser(description="政务服务助手 WeChat channel")
    parser.add_argument("--host", default=settings.wechat_host())
    parser.add_argument("--port", type=int, default=settings.wechat_port())
    parser.add_argument("--rasa-url", default=settings.rasa_url())
    args = parser.parse_args(argv)
    token, app_id, keys = settings.wechat_token(), settings.wechat_app_id(), settings.wechat_aes_keys()
    if not token:
        print(
            "错误：没有设置 WECHAT_TOKEN（公众号后台“基本配置 → 服务器配置”里的令牌 Token）。\n"
            "Error: WECHAT_TOKEN is not set.",
            file=sys.stderr,
        )
        return 2
    if keys and not app_id:
        print(
            "错误：安全模式（设置了 WECHAT_AES_KEY）还需要 WECHAT_APP_ID（开发者ID）。\n"
            "Error: WECHAT_AES_KEY needs WECHAT_APP_ID.",
            file=sys.stderr,
        )
        return 2
    if not (app_id and settings.wechat_app_secret()):
        log.warning(
            "WECHAT_APP_ID/WECHAT_APP_SECRET not set: answers within %.0f s only; slower ones and the agents' "
            "replies cannot be sent by 客服消息",
            settings.wechat_passive_seconds(),
        )
    door = Door(token, app_id, keys, settings.wechat_max_age_seconds())
    app = build_app(WeChatRelay(args.rasa_url), door)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
