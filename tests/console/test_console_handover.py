"""坐席's pages in the console, in process: the queue, taking, replying, handing back, callbacks, figures;
and who is refused (no session, another role, another agent)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from domain_logic.handover.store import RETURNED, WITH_AGENT, HandoverStore
from console_helpers import Browser, config, console

STAFF = [
    ("zhao", "赵六", ["agent"]),
    ("qian", "钱七", ["agent"]),
    ("editor", "张三", ["editor"]),
    ("analyst", "王五", ["analyst"]),
]
SUMMARY = {
    "service": "普通护照签发",
    "checklist": None,
    "recent": [
        {"who": "citizen", "text": "我身份证 110105199001011234 丢了"},
        {"who": "assistant", "text": "已为您呼叫工作人员"},
    ],
}


def run(coro):
    return asyncio.run(coro)


def stores(tmp_path):
    url = f"sqlite:///{tmp_path / 'handover.db'}"
    return config(tmp_path, handover_db_url=url), HandoverStore(url)


def test_without_a_session_or_the_agent_role_the_pages_are_refused(tmp_path):
    cfg, store = stores(tmp_path)
    ticket = store.queue("kiosk-a", "kiosk", SUMMARY)

    async def scenario():
        async with console(cfg, STAFF) as client:
            nobody = Browser(client)
            assert (await nobody.get("/agent")).headers["Location"].startswith("/login?next=")
            assert (await nobody.get("/agent/callbacks")).status == 302
            assert (await nobody.post(f"/agent/{ticket.id}/take", {}, csrf="x")).status in (401, 403)
            editor = Browser(client)
            await editor.login("editor")
            for path in ("/agent", f"/agent/{ticket.id}", "/agent/callbacks", "/agent/figures"):
                assert (await editor.get(path)).status == 403, path
            assert (await editor.post(f"/agent/{ticket.id}/take", {})).status == 403
            analyst = Browser(client)
            await analyst.login("analyst")
            assert (await analyst.get("/agent/figures")).status == 200
            assert (await analyst.get("/agent")).status == 403

    run(scenario())
    assert store.get(ticket.id).agent is None  # nobody took it


def test_an_agent_takes_replies_and_hands_back_and_another_agent_cannot(tmp_path):
    cfg, store = stores(tmp_path)
    ticket = store.queue("kiosk-a", "kiosk", SUMMARY)
    store.add_citizen_message(ticket.id, "请问补办要多久？我电话 13800138000")

    async def scenario():
        async with console(cfg, STAFF) as client:
            zhao, qian = Browser(client), Browser(client)
            await zhao.login("zhao")
            await qian.login("qian")
            queue = await zhao.get("/agent")
            assert "普通护照签发" in queue.body_text and "110105********1234" in queue.body_text
            assert "110105199001011234" not in queue.body_text
            taken = await zhao.post(f"/agent/{ticket.id}/take", {})
            assert taken.headers["Location"] == f"/agent/{ticket.id}"
            late = await qian.post(f"/agent/{ticket.id}/take", {})
            assert "没能接入" in (await qian.get(late.headers["Location"])).body_text
            page = await zhao.get(f"/agent/{ticket.id}")
            assert "138****8000" in page.body_text and "13800138000" not in page.body_text
            assert 'id="reply"' in page.body_text and "交还助手" in page.body_text
            assert (await qian.post(f"/agent/{ticket.id}/reply", {"text": "我来"})).status == 403
            await zhao.post(f"/agent/{ticket.id}/reply", {"text": "一般 7 个工作日，请带上身份证。"})
            news = await (await zhao.http.get(client.make_url(f"/agent/{ticket.id}/messages?after=0"))).json()
            assert [m["who"] for m in news["messages"]] == ["群众", "工作人员"] and news["mine"] is True
            assert (await qian.post(f"/agent/{ticket.id}/return", {})).status == 403
            back = await zhao.post(f"/agent/{ticket.id}/return", {})
            assert back.headers["Location"] == "/agent"
            assert (await zhao.post(f"/agent/{ticket.id}/reply", {"text": "还在吗"})).status == 403

    run(scenario())
    assert store.get(ticket.id).state == RETURNED and store.get(ticket.id).agent == "zhao"
    assert [m.text for m in store.messages(ticket.id)][-1] == "一般 7 个工作日，请带上身份证。"


def test_the_queue_ends_waits_past_the_timeout(tmp_path):
    cfg, store = stores(tmp_path)
    cfg = replace(cfg, handover_timeout_seconds=0)
    ticket = store.queue("kiosk-a", "kiosk", SUMMARY)

    async def scenario():
        async with console(cfg, STAFF) as client:
            zhao = Browser(client)
            await zhao.login("zhao")
            assert "现在没有排队的群众" in (await zhao.get("/agent")).body_text
            assert (await zhao.post(f"/agent/{ticket.id}/take", {})).headers["Location"] == "/agent"

    run(scenario())
    assert store.get(ticket.id).state != WITH_AGENT


def test_callback_tickets_show_the_number_masked_and_are_marked_done_with_a_note(tmp_path):
    cfg, store = stores(tmp_path)
    callback = store.add_callback("13800138000", "kiosk", "timed_out", SUMMARY)

    async def scenario():
        async with console(cfg, STAFF) as client:
            zhao = Browser(client)
            await zhao.login("zhao")
            listed = await zhao.get("/agent/callbacks")
            assert "138****8000" in listed.body_text and "13800138000" not in listed.body_text
            assert "排队超时" in listed.body_text and "普通护照签发" in listed.body_text
            refused = await zhao.post(f"/agent/callbacks/{callback.id}/done", {"note": ""})
            assert "请写明回电结果" in (await zhao.get(refused.headers["Location"])).body_text
            await zhao.post(f"/agent/callbacks/{callback.id}/done", {"note": "已回电，另留号 13912345678"})
            after = await zhao.get("/agent/callbacks")
            assert "没有待回电的群众" in after.body_text and "139****5678" in after.body_text
            assert "赵六（zhao）" in after.body_text

    run(scenario())
    assert store.callback(callback.id).state == "done"


def test_the_figures_page_shows_the_first_reply_time_and_the_share_within_60_seconds(tmp_path):
    cfg, _ = stores(tmp_path)
    now = time.time()
    moments = iter([now - 300, now - 300, now - 280, now - 200, now - 200, now - 110])
    store = HandoverStore(cfg.handover_db_url, clock=lambda: next(moments))
    fast = store.queue("kiosk-fast", "kiosk", {})  # joined 300 s ago
    store.take(fast.id, "zhao")
    store.reply(fast.id, "您好")  # 20 s later
    slow = store.queue("kiosk-slow", "kiosk", {})  # 200 s ago
    store.take(slow.id, "zhao")
    store.reply(slow.id, "您好")  # 90 s later

    async def scenario():
        async with console(cfg, STAFF) as client:
            zhao = Browser(client)
            await zhao.login("zhao")
            figures = await zhao.get("/agent/figures")
            assert figures.status == 200
            assert "<strong>55 秒</strong>首次回复用时" in figures.body_text  # the median of 20 s and 90 s
            assert "<strong>50%</strong>60 秒内应答率（1/2）" in figures.body_text

    run(scenario())
