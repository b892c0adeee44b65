"""Local stand-ins for the two peers a channel talks to, as real HTTP servers on 127.0.0.1.

`FakeBotAPI` speaks enough of the Telegram Bot API for python-telegram-bot's own
code to run unchanged against it (through `base_url`): it serves updates to
getUpdates and records every call. `ScriptedRasa` answers the REST channel with
replies chosen for what a test wants to see (long, escaped, slow…).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

GOOD_TOKEN = "123456:TEST-token_ok"
BOT_USER = {
    "id": 999,
    "is_bot": True,
    "first_name": "政务服务助手",
    "username": "zhengwu_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class _Server:
    """A ThreadingHTTPServer in a daemon thread, handing requests to `handle`."""

    def __init__(self, port: int = 0) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                self._dispatch()

            def do_POST(self) -> None:
                self._dispatch()

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = owner.handle(self.command, self.path, dict(self.headers), raw)
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a long poll while shutting down

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def handle(self, method: str, path: str, headers: Dict[str, str], raw: bytes) -> Tuple[int, Any, Dict]:
        raise NotImplementedError

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _params(headers: Dict[str, str], raw: bytes) -> Dict[str, Any]:
    """python-telegram-bot posts form fields whose complex values are JSON strings."""
    ctype = headers.get("Content-Type", "")
    if not raw:
        return {}
    if "json" in ctype:
        return json.loads(raw)
    params: Dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True):
        try:
            params[key] = json.loads(value) if value[:1] in "{[" else value
        except ValueError:
            params[key] = value
    return params


class FakeBotAPI(_Server):
    """Telegram's Bot API, just enough of it; every call is kept in `calls`."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, Dict[str, Any]]] = []
        self.updates: List[Dict[str, Any]] = []
        self.chat_types: Dict[int, str] = {}
        self.flood_once: Optional[int] = None  # answer the next sendMessage with 429 retry_after=N
        self._next_update = 1
        self._next_message = 1000
        self._changed = threading.Condition()
        super().__init__()

    # ---- what tests call -------------------------------------------------
    def push(self, update: Dict[str, Any]) -> int:
        with self._changed:
            update = {"update_id": self._next_update, **update}
            self._next_update += 1
            for key in ("message", "edited_message"):
                if key in update:
                    chat = update[key]["chat"]
                    self.chat_types[chat["id"]] = chat["type"]
            self.updates.append(update)
            self._changed.notify_all()
            return update["update_id"]

    def message(
        self,
        chat_id: int,
        text: Optional[str] = None,
        chat_type: str = "private",
        kind: str = "message",
        user_id: Optional[int] = None,
        **content: Any,
    ) -> int:
        user = {"id": user_id or chat_id, "is_bot": False, "first_name": "市民"}
        msg = {
            "message_id": self._next_message,
            "date": int(time.time()),
            "from": user,
            "chat": {"id": chat_id, "type": chat_type, **({"title": "群"} if chat_type != "private" else {})},
            **content,
        }
        self._next_message += 1
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if kind == "edited_message":
            msg["edit_date"] = int(time.time())
        return self.push({kind: msg})

    def press(self, chat_id: int, data: str) -> int:
        """The citizen presses an inline button carrying `data` on the bot's last message."""
        message = {
            "message_id": self._next_message,
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private"},
            "text": "…",
        }
        self._next_message += 1
        return self.push(
            {
                "callback_query": {
                    "id": f"cb{self._next_update}",
                    "chat_instance": "ci",
                    "from": {"id": chat_id, "is_bot": False, "first_name": "市民"},
                    "message": message,
                    "data": data,
                }
            }
        )

    def sent(self, chat_id: Optional[int] = None, method: str = "sendMessage") -> List[Dict[str, Any]]:
        with self._changed:
            return [p for m, p in self.calls if m == method and (chat_id is None or int(p["chat_id"]) == chat_id)]

    def wait_sent(
        self, count: int, chat_id: Optional[int] = None, method: str = "sendMessage", timeout: float = 30.0
    ) -> List[Dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [
                    p for m, p in self.calls if m == method and (chat_id is None or int(p.get("chat_id", 0)) == chat_id)
                ]
                if len(found) >= count or time.monotonic() > deadline:
                    return found
                self._changed.wait(0.2)

    def called(self, method: str) -> List[Dict[str, Any]]:
        with self._changed:
            return [p for m, p in self.calls if m == method]

    # ---- the API ---------------------------------------------------------
    def handle(self, method: str, path: str, headers: Dict[str, str], raw: bytes) -> Tuple[int, Any, Dict]:
        parts = path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}
        token, api_method = parts[0][3:], parts[1]
        if token != GOOD_TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        params = _params(headers, raw)
        if api_method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}, {}
        with self._changed:
            if api_method == "sendMessage" and self.flood_once:
                retry, self.flood_once = self.flood_once, None
                self.calls.append(("flood", params))
                return (
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry}",
                        "parameters": {"retry_after": retry},
                    },
                    {},
                )
            self.calls.append((api_method, params))
            self._changed.notify_all()
        if api_method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}, {}
        if api_method == "sendMessage":
            chat_id = int(params["chat_id"])
            self._next_message += 1
            return (
                200,
                {
                    "ok": True,
                    "result": {
                        "message_id": self._next_message,
                        "date": int(time.time()),
                        "from": BOT_USER,
                        "chat": {"id": chat_id, "type": self.chat_types.get(chat_id, "private")},
                        "text": params.get("text", ""),
                    },
                },
                {},
            )
        return 200, {"ok": True, "result": True}, {}

    def _get_updates(self, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        with self._changed:
            while True:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending
                self._changed.wait(0.1)


Reply = Callable[[str], List[Dict[str, Any]]]


class ScriptedRasa(_Server):
    """Rasa's REST channel with canned replies; `received` keeps what reached it."""

    def __init__(self, reply: Reply, port: int = 0) -> None:
        self.reply = reply
        self.received: List[Dict[str, Any]] = []
        super().__init__(port)

    def handle(self, method: str, path: str, headers: Dict[str, str], raw: bytes) -> Tuple[int, Any, Dict]:
        if path != "/webhooks/rest/webhook":
            return 404, {"error": "not found"}, {}
        body = json.loads(raw)
        self.received.append(body)
        return 200, self.reply(body["message"]), {}


class FakeWeChatAPI(_Server):
    """The WeChat API calls the relay makes: the access token, 客服消息, the custom menu.

    `refuse_with` makes 客服消息 fail with WeChat's error code (45047: the quota is spent)."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, Dict[str, Any]]] = []
        self.refuse_with: Optional[int] = None
        super().__init__()
        self.base = f"{self.url}/cgi-bin/"

    def handle(self, method: str, path: str, headers: Dict[str, str], raw: bytes) -> Tuple[int, Any, Dict]:
        route = urllib.parse.urlparse(path).path
        body = json.loads(raw) if raw else {}
        self.calls.append((route, body))
        if route == "/cgi-bin/token":
            return 200, {"access_token": "fake-token", "expires_in": 7200}, {}
        if route == "/cgi-bin/message/custom/send" and self.refuse_with:
            return 200, {"errcode": self.refuse_with, "errmsg": "refused by the test"}, {}
        return 200, {"errcode": 0, "errmsg": "ok"}, {}

    def pushed(self, openid: Optional[str] = None) -> List[str]:
        """The 客服消息 texts sent so far (refused ones too)."""
        return [
            b["text"]["content"]
            for route, b in self.calls
            if route == "/cgi-bin/message/custom/send" and (openid is None or b.get("touser") == openid)
        ]

    def wait_pushed(self, count: int, openid: Optional[str] = None, timeout: float = 20) -> List[str]:
        deadline = time.monotonic() + timeout
        while len(self.pushed(openid)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} 客服消息, got {self.pushed(openid)}")
            time.sleep(0.1)
        return self.pushed(openid)
