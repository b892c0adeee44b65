"""Live human help end to end, in real Chromium: a citizen at the kiosk, an agent in the console.

Everything runs as `make run` runs it — `rasa run` with the trained model, the action server,
the kiosk and the console as their own processes, sharing the tests' handover store — and
what is asserted is what each of them sees on their screen, and the rows the store keeps.
"""

from __future__ import annotations

import subprocess
import time
from typing import Callable, Iterator

import pytest

from domain_logic.handover.store import LEFT, RETURNED, TIMED_OUT, HandoverStore
from domain_logic.staff.accounts import AccountStore
from domain_logic.staff.database import StaffDatabase
from helpers import free_port, wait_for
from kiosk_helpers import kiosk_on_screen, replied
from tools.launch.processes import console_command, spawn

PASSWORD = "correct horse battery"
FAST = {"HANDOVER_POLL_SECONDS": "0.5"}


class Console:
    """`python -m console serve` with one 坐席 account, on the tests' handover store."""

    def __init__(self, staff_db: str) -> None:
        AccountStore(StaffDatabase(staff_db)).create("zhao", "赵六", PASSWORD, ["agent"])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"STAFF_DB_URL": staff_db, "HANDOVER_TIMEOUT_SECONDS": "600"}
        self.proc = spawn(console_command(self.port), env, stderr=subprocess.PIPE)
        wait_for(f"{self.url}/healthz", timeout=30)

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=15)
        return err


@pytest.fixture(scope="module")
def staff_console(tmp_path_factory, rasa_server) -> Iterator[Console]:
    console = Console(f"sqlite:///{tmp_path_factory.mktemp('console') / 'staff.db'}")
    yield console
    assert "Traceback" not in console.stop()


@pytest.fixture(scope="module")
def store() -> HandoverStore:
    return HandoverStore()  # HANDOVER_DB_URL of conftest.py: the action server's, the kiosk's, the console's


def _page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    return context, context.new_page()


@pytest.fixture
def citizen(browser):
    context, page = _page(browser)
    yield page
    context.close()


@pytest.fixture
def agent_screen(browser, staff_console):
    """The agent, signed in to the console in a browser of their own."""
    context, page = _page(browser)
    page.goto(f"{staff_console.url}/login")
    page.fill("input[name=username]", "zhao")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=您好，赵六")
    yield page
    context.close()


def sender_of(page) -> str:
    return f"kiosk-{page.evaluate('document.body.dataset.session')}"


def until(condition: Callable[[], object], what: str, timeout: float = 30) -> object:
    """Wait for something another process does (a row, a state); fails after `timeout` saying what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"did not happen: {what}")


def bot_says(page, text: str) -> None:
    page.locator(".message.bot:not(.pending)", has_text=text).last.wait_for(timeout=60_000)


def type_in(page, text: str) -> None:
    page.fill("#question", text)
    page.press("#question", "Enter")


def test_a_citizen_gets_a_person_who_replies_and_hands_back_to_the_assistant(
    citizen, agent_screen, rasa_server, staff_console, store
):
    with kiosk_on_screen(citizen, rasa_server[0], **FAST):
        replied(citizen, lambda: type_in(citizen, "办护照要带什么"))
        citizen.click("#call-staff")
        bot_says(citizen, "已为您呼叫工作人员")
        assert "正在为您联系工作人员" in citizen.inner_text("#handover-status")
        ticket = until(lambda: store.open_ticket(sender_of(citizen)), "the citizen is in the queue")

        agent_screen.goto(f"{staff_console.url}/agent")
        card = agent_screen.locator(f"#ticket-{ticket.id}")
        assert "普通护照签发" in card.inner_text()  # the item in context, in the summary
        card.get_by_role("button", name="接入").click()
        agent_screen.wait_for_url(f"**/agent/{ticket.id}")

        type_in(citizen, "我的旧护照丢了，电话13800138000")
        agent_screen.locator("#messages li.citizen", has_text="我的旧护照丢了").wait_for(timeout=30_000)
        assert "138****8000" in agent_screen.inner_text("#messages") and "13800138000" not in agent_screen.content()
        assert citizen.locator(".message.user").last.inner_text() == "我的旧护照丢了，电话138****8000"

        agent_screen.fill("#reply-text", "您好，请带身份证到出入境窗口，先办理挂失。")
        agent_screen.click("#reply button[type=submit]")
        reply = citizen.locator(".message.agent", has_text="先办理挂失")
        reply.wait_for(timeout=30_000)
        assert reply.inner_text().startswith("工作人员")
        assert "工作人员正在为您服务" in citizen.inner_text("#handover-status")

        agent_screen.get_by_role("button", name="交还助手").click()
        agent_screen.wait_for_url("**/agent")
        bot_says(citizen, "接下来由智能助手继续为您服务")
        citizen.locator("#handover-status").wait_for(state="hidden")
        replied(citizen, lambda: type_in(citizen, "办护照要多少钱"))
        assert "120" in citizen.locator(".message.bot:not(.pending)").last.inner_text()  # the assistant again
    done = store.get(ticket.id)
    assert done.state == RETURNED and done.agent == "zhao" and done.first_reply_at is not None
    assert [m.author for m in store.messages(ticket.id)] == ["citizen", "agent"]


def test_no_agent_in_time_leads_to_a_callback_ticket_with_a_masked_phone(
    citizen, agent_screen, rasa_server, staff_console, store
):
    with kiosk_on_screen(citizen, rasa_server[0], HANDOVER_TIMEOUT_SECONDS="2", **FAST):
        citizen.click("#call-staff")
        bot_says(citizen, "已为您呼叫工作人员")
        ticket = until(lambda: store.latest_ticket(sender_of(citizen)), "the citizen is in the queue")
        bot_says(citizen, "暂时没有工作人员接入")
        consent = citizen.locator(".message.bot", has_text="是否同意")
        replied(citizen, consent.get_by_role("button", name="同意回电").click)
        bot_says(citizen, "手机号码")
        replied(citizen, lambda: type_in(citizen, "13800138000"))
        bot_says(citizen, "已为您登记回电")
        assert "138****8000" in citizen.locator(".message.bot").last.inner_text()
        assert "13800138000" not in citizen.inner_text("#conversation")
    assert store.get(ticket.id).state == TIMED_OUT
    [callback] = [c for c in store.callbacks("open") if c.ticket_id == ticket.id]
    assert callback.reason == TIMED_OUT

    agent_screen.goto(f"{staff_console.url}/agent/callbacks")
    card = agent_screen.locator(f"#callback-{callback.id}")
    assert "138****8000" in card.inner_text() and "13800138000" not in agent_screen.content()
    card.locator("input[name=note]").fill("已回电，问题已解答")
    card.get_by_role("button", name="标记完成").click()
    agent_screen.wait_for_selector("text=已标记为完成")
    assert agent_screen.locator(f"#callback-{callback.id}").count() == 0
    assert store.callback(callback.id).note == "已回电，问题已解答"


def test_a_kiosk_that_resets_while_waiting_leaves_the_queue(citizen, agent_screen, rasa_server, staff_console, store):
    with kiosk_on_screen(citizen, rasa_server[0], idle=2, countdown=1, **FAST):
        citizen.click("#call-staff")
        bot_says(citizen, "已为您呼叫工作人员")
        first = sender_of(citizen)
        ticket = until(lambda: store.open_ticket(first), "the citizen is in the queue")
        agent_screen.goto(f"{staff_console.url}/agent")
        assert agent_screen.locator(f"#ticket-{ticket.id}").count() == 1
        citizen.locator("#idle-overlay").wait_for(state="visible", timeout=30_000)
        until(lambda: sender_of(citizen) != first, "the screen reset to a new session")
        assert citizen.locator(".message.user").count() == 0 and citizen.locator("#handover-status").is_hidden()
    until(lambda: store.get(ticket.id).state == LEFT, "the ticket is left")
    agent_screen.goto(f"{staff_console.url}/agent")
    assert agent_screen.locator(f"#ticket-{ticket.id}").count() == 0


def test_a_kiosk_page_reloaded_while_waiting_leaves_the_queue(citizen, agent_screen, rasa_server, staff_console, store):
    with kiosk_on_screen(citizen, rasa_server[0], **FAST):
        citizen.click("#call-staff")
        bot_says(citizen, "已为您呼叫工作人员")
        first = sender_of(citizen)
        ticket = until(lambda: store.open_ticket(first), "the citizen is in the queue")
        citizen.reload()  # by hand, not the idle reset: nothing on the page says goodbye
        citizen.locator(".message.bot").first.wait_for(timeout=60_000)  # the new page's greeting
        assert sender_of(citizen) != first
    until(lambda: store.get(ticket.id).state == LEFT, "the ticket is left")
    agent_screen.goto(f"{staff_console.url}/agent")
    assert agent_screen.locator(f"#ticket-{ticket.id}").count() == 0
