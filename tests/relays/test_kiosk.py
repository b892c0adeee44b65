"""The service-hall kiosk, used the way a citizen uses it: in a real (headless) Chromium.

Debian's `chromium` is driven by Playwright for Python; `make test` installs the
browser (`make browser`). Without it these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from helpers import ARTIFACTS, Kiosk, free_port
from kiosk_helpers import ask, bot_bubbles, kiosk_on_screen, open_first_screen, replied, sheet_on_screen

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()


def test_main_screen_suggests_common_items_in_large_type(page, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    suggestions = page.locator(".suggestions .buttons button")
    assert suggestions.count() == 3 and "办护照" in suggestions.all_inner_texts()  # three items, never a menu
    assert page.locator("#call-staff").is_visible()
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 24
    assert suggestions.first.bounding_box()["height"] >= 48  # a finger, not a mouse pointer
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kiosk-main.png"))


def test_a_typed_question_gets_the_answer_and_a_button_works(page, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    ask(page, "办护照要带什么")
    assert page.locator(".message.user").last.inner_text() == "办护照要带什么"
    answer = bot_bubbles(page).last
    assert "居民身份证" in answer.inner_text() and "护照" in answer.inner_text()
    replied(page, answer.get_by_role("button", name="办理流程").click)
    assert page.locator(".message.user").last.inner_text() == "办理流程"
    assert "流程" in bot_bubbles(page).last.inner_text()


def test_the_call_staff_button_asks_for_a_person(page, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    replied(page, lambda: page.click("#call-staff"))
    assert "工作人员" in bot_bubbles(page).last.inner_text()


def test_high_contrast_toggle(page, scripted_rasa):  # text size: test_kiosk_accessibility.py
    with kiosk_on_screen(page, scripted_rasa.url):
        page.click("#contrast-toggle")
        assert page.get_attribute("#contrast-toggle", "aria-pressed") == "true"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(255, 255, 255)"


def test_the_checklist_can_be_printed(page, real_kiosk):
    sheet_bubble = sheet_on_screen(page, real_kiosk)
    assert "结论：还缺 1 项：出入境证件相片" in sheet_bubble.inner_text()
    page.evaluate("window.__printed = 0")
    page.click(".print-sheet")
    page.wait_for_function("() => document.getElementById('print-frame').dataset.loaded === '1'", timeout=10_000)
    printed = page.frame_locator("#print-frame")
    assert "一次性告知单" in printed.locator("h1").inner_text()
    assert "✗ 还缺：出入境证件相片" in printed.locator("li.todo").first.inner_text()
    # the printed page itself, as paper would show it
    sheet_html = page.evaluate("document.getElementById('print-frame').srcdoc")
    paper = page.context.new_page()
    paper.set_content(sheet_html)
    paper.emulate_media(media="print")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = paper.pdf(path=str(ARTIFACTS / "checklist.pdf"), format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_the_sheet_is_taken_away_by_qr_code_and_its_link_ends(page, browser, real_kiosk, sheets_db):
    import re
    import time

    import sqlalchemy as sa

    from domain_logic.sheet_links.store import SheetLinks, links

    sheet_bubble = sheet_on_screen(page, real_kiosk)
    code = sheet_bubble.locator(".take-away img")
    page.wait_for_function("() => { const i = document.querySelector('.take-away img'); return i && i.complete }")
    assert code.evaluate("i => i.naturalWidth") > 100 and "扫码" in code.get_attribute("alt")
    token = re.search(r"/sheet/([A-Za-z0-9_-]+)", sheet_bubble.inner_text()).group(1)
    # the phone: a browser of its own, opening what the code holds (PUBLIC_URL is the kiosk's address)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    try:
        phone.goto(f"{real_kiosk.url}/sheet/{token}")
        assert "一次性告知单" in phone.locator("h1").inner_text()
        assert "✗ 还缺：出入境证件相片" in phone.locator("body").inner_text()
        store = SheetLinks(sheets_db)
        with store.db.transaction() as conn:  # a week later
            conn.execute(sa.update(links).where(links.c.token == token).values(expires_at=time.time() - 1))
        assert phone.goto(f"{real_kiosk.url}/sheet/{token}").status == 410
        assert "已过期" in phone.locator("body").inner_text()
        fresh = store.create("普通护照签发", "<h1>一次性告知单</h1>")
        assert store.revoke(fresh, "周九")
        assert phone.goto(f"{real_kiosk.url}/sheet/{fresh}").status == 410
        assert "撤销" in phone.locator("body").inner_text()
    finally:
        phone.context.close()


def test_hostile_text_is_shown_literally_and_never_run(page, scripted_rasa):
    with kiosk_on_screen(page, scripted_rasa.url):
        ask(page, HOSTILE)
        page.wait_for_timeout(500)
        assert page.locator(".message.user").last.inner_text() == HOSTILE
        assert bot_bubbles(page).last.inner_text() == '<img src=x onerror="alert(2)"><b>粗体</b>'
        assert page.locator("#conversation script, #conversation img, #conversation b").count() == 0
        assert page.dialogs == []


def test_an_idle_screen_counts_down_and_forgets_the_citizen(page, scripted_rasa):
    with kiosk_on_screen(page, scripted_rasa.url, idle=2, countdown=2):
        first_session = page.get_attribute("body", "data-session")
        ask(page, "我的身份证号是110105199001010123")
        page.wait_for_selector("#idle-overlay:not([hidden])", timeout=10_000)
        assert "秒后将清除本次对话" in page.inner_text("#idle-overlay")
        page.wait_for_function(f"() => document.body.dataset.session !== '{first_session}'", timeout=10_000)
        page.locator(".suggestions .buttons button").first.wait_for()
        assert "110105199001010123" not in page.inner_text("body")
        assert page.locator(".message.user").count() == 0
        assert page.is_hidden("#idle-overlay")
        forgotten = [r for r in scripted_rasa.received if r["message"] == "/restart"]
        assert forgotten and forgotten[-1]["sender"] == f"kiosk-{first_session}"
        assert forgotten[-1]["input_channel"] == "kiosk"


def test_touching_the_screen_during_the_countdown_keeps_the_conversation(page, scripted_rasa):
    with kiosk_on_screen(page, scripted_rasa.url, idle=2, countdown=5):
        session = page.get_attribute("body", "data-session")
        ask(page, "办护照要带什么")
        page.wait_for_selector("#idle-overlay:not([hidden])", timeout=10_000)
        page.click("#idle-continue")
        assert page.is_hidden("#idle-overlay")
        assert page.get_attribute("body", "data-session") == session
        assert page.locator(".message.user").count() == 1


def test_an_unreachable_assistant_gets_a_polite_message(page):
    kiosk = Kiosk(f"http://127.0.0.1:{free_port()}")
    try:
        page.goto(kiosk.url)
        ask(page, "办护照要带什么")
        assert "稍后再试" in bot_bubbles(page).last.inner_text()
    finally:
        assert "Traceback" not in kiosk.stop()


def post(url: str, body: bytes):
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(
    "body, status, says",
    [
        (b"not json", 400, "请求格式不正确"),
        (json.dumps({"session": "../../etc", "text": "你好"}).encode(), 400, "会话已失效"),
        (json.dumps({"session": "abcdef123456", "text": "   "}).encode(), 400, "请输入您的问题"),
        (json.dumps({"session": "abcdef123456", "text": "长" * 5000}).encode(), 413, "问题太长"),
    ],
    ids=["not-json", "bad-session", "blank", "5000-chars"],
)
def test_bad_requests_get_a_clear_answer(scripted_rasa, body, status, says):
    kiosk = Kiosk(scripted_rasa.url)
    try:
        code, answer = post(f"{kiosk.url}/api/message", body)
        assert code == status and says in answer["error"]
    finally:
        assert "Traceback" not in kiosk.stop()


def test_the_page_and_its_assets_are_all_local(scripted_rasa):
    kiosk = Kiosk(scripted_rasa.url)
    try:
        with urllib.request.urlopen(kiosk.url, timeout=10) as response:
            page = response.read().decode()
            csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "http://" not in page and "https://" not in page
        for asset in ("/static/kiosk.css", "/static/kiosk.js"):
            with urllib.request.urlopen(kiosk.url + asset, timeout=10) as response:
                body = response.read().decode()
                assert response.status == 200 and "http://" not in body and "https://" not in body
    finally:
        kiosk.stop()


def test_one_screen_cannot_flood_the_assistant(scripted_rasa):
    kiosk = Kiosk(scripted_rasa.url)
    try:
        body = json.dumps({"session": "flood-session-1", "text": "你好"}).encode()
        codes = [post(f"{kiosk.url}/api/message", body)[0] for _ in range(31)]
        assert codes[:30] == [200] * 30  # RATE_LIMIT_PER_MINUTE, default 30
        status, answer = post(f"{kiosk.url}/api/message", body)
        assert status == 429 and "太频繁" in answer["error"]
        other = json.dumps({"session": "another-session", "text": "你好"}).encode()
        assert post(f"{kiosk.url}/api/message", other)[0] == 200  # other citizens are not held up
    finally:
        assert "Traceback" not in kiosk.stop()
