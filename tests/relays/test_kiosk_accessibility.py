"""The kiosk for everyone (GB/T 37668 level 2, 适老化), checked in a real Chromium.

axe-core (npm, `make axe`) runs its WCAG 2.1 A/AA rules, the basis of GB/T 37668, on every state a
citizen meets: welcome, answer, question back, checklist, sheet (on the kiosk, printed and on the
phone), rating, human help, the idle warning, big text and high contrast, where the 7:1 rule of
WCAG's enhanced contrast applies too. Beside axe, what it cannot see: targets a finger can hit, line
spacing, a visible focus, the keyboard, the live region, text size in three steps and 读给我听.
"""

from __future__ import annotations

import re
from typing import Dict, List

import pytest

from helpers import ARTIFACTS, ROOT
from kiosk_helpers import ask, bot_bubbles, kiosk_on_screen, open_first_screen, replied, sheet_on_screen

AXE = ROOT / "tests" / "accessibility" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SMALLEST_TARGET = 44  # px, WCAG 2.5.5 and the 适老化 rules' "alternatives to fine motor control"


@pytest.fixture
def page(browser):
    """A kiosk screen where axe may be put into the page (the kiosk's CSP allows no injected script)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: the accessibility check needs axe-core (`make axe`).")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def violations(page, enhanced_contrast: bool = False) -> List[str]:
    """axe's findings on what the page shows now, one readable line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    options: Dict = {"runOnly": {"type": "tag", "values": WCAG_AA}}
    if enhanced_contrast:
        options = {"runOnly": {"type": "tag", "values": WCAG_AA + ["wcag2aaa"]}}
    found = page.evaluate("async (options) => (await axe.run(document, options)).violations", options)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if enhanced_contrast or v["id"] != "color-contrast-enhanced"
    ]


def small_targets(page) -> List[str]:
    """Every visible button or field smaller than a finger."""
    return page.evaluate(
        """(least) => [...document.querySelectorAll('button, input, a[href]')]
             .filter((el) => el.offsetParent !== null)
             .map((el) => [el.textContent.trim() || el.id, el.getBoundingClientRect()])
             .filter(([, r]) => r.width < least || r.height < least)
             .map(([name, r]) => `${name}: ${Math.round(r.width)}×${Math.round(r.height)}`)""",
        SMALLEST_TARGET,
    )


def tight_lines(page) -> List[str]:
    """Text whose line spacing is under 1.3 times its size (适老化)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter((el) => el.offsetParent !== null)
             .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
             .map((el) => [el, getComputedStyle(el)])
             .filter(([, s]) => s.lineHeight === "normal" || parseFloat(s.lineHeight) / parseFloat(s.fontSize) < 1.3)
             .map(([el, s]) => `${el.tagName}.${el.className}: ${s.lineHeight} / ${s.fontSize}`)"""
    )


def assert_accessible(page, state: str, enhanced_contrast: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"a11y-{state}.png"))
    assert violations(page, enhanced_contrast) == [], state
    assert small_targets(page) == [], state
    assert tight_lines(page) == [], state


def test_welcome_answer_and_question_back_have_no_violations(page, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    assert_accessible(page, "welcome")
    ask(page, "办护照要带什么")
    assert page.locator(".take-away img").count() == 1  # 扫码带走 on a guide, not only on a checklist
    assert_accessible(page, "answer")
    ask(page, "身份证要带什么材料")
    assert 2 <= bot_bubbles(page).last.locator(".buttons button").count() <= 3
    assert_accessible(page, "question-back")


def test_checklist_sheet_and_rating_have_no_violations(page, browser, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    ask(page, "帮我准备一下办护照的材料")
    assert_accessible(page, "checklist")
    sheet = sheet_on_screen(page, real_kiosk)
    assert "✗ 还缺：出入境证件相片" in sheet.inner_text()  # the mark carries a word, never colour alone
    assert_accessible(page, "sheet")
    page.evaluate("window.print = () => {}")
    page.click(".print-sheet")
    page.wait_for_function("() => document.getElementById('print-frame').dataset.loaded === '1'", timeout=10_000)
    paper = page.context.new_page()
    try:
        paper.set_content(page.evaluate("document.getElementById('print-frame').srcdoc"))
        assert violations(paper) == [], "printed sheet"
    finally:
        paper.close()
    token = re.search(r"/sheet/([A-Za-z0-9_-]+)", sheet.inner_text()).group(1)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", bypass_csp=True).new_page()
    try:
        phone.goto(f"{real_kiosk.url}/sheet/{token}")
        assert "✓ 已备好：居民身份证" in phone.locator("body").inner_text()
        phone.screenshot(path=str(ARTIFACTS / "a11y-phone-sheet.png"))
        assert violations(phone) == []
        assert tight_lines(phone) == []
        phone.goto(f"{real_kiosk.url}/sheet/{'x' * 32}")  # a link that ended: the notice is accessible too
        assert violations(phone) == []
    finally:
        phone.context.close()
    replied(page, sheet.get_by_role("button", name="评价本次服务").click)
    assert bot_bubbles(page).last.locator(".buttons button").count() >= 2
    assert_accessible(page, "rating")


def test_human_help_has_no_violations(page, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    replied(page, lambda: page.click("#call-staff"))
    assert_accessible(page, "human-help")


def test_big_text_and_high_contrast_have_no_violations(page, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    ask(page, "办护照要带什么")
    page.click("#text-size [data-size='2']")
    assert_accessible(page, "big-text")
    page.click("#contrast-toggle")
    assert_accessible(page, "high-contrast", enhanced_contrast=True)  # 7:1 everywhere


def test_the_idle_warning_has_no_violations_and_takes_the_focus(page, scripted_rasa):
    with kiosk_on_screen(page, scripted_rasa.url, idle=2, countdown=30):
        ask(page, "你好")
        page.locator("#idle-overlay").wait_for(state="visible", timeout=10_000)
        assert page.evaluate("document.activeElement.id") == "idle-continue"  # Enter delays the reset
        assert_accessible(page, "idle-warning")
        page.keyboard.press("Enter")
        assert page.locator("#idle-overlay").is_hidden() and bot_bubbles(page).count() >= 3


def test_text_size_has_three_steps_kept_through_the_conversation(page, scripted_rasa):
    with kiosk_on_screen(page, scripted_rasa.url):

        def size() -> float:
            return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

        sizes = []
        for step in ("0", "1", "2"):
            page.click(f"#text-size [data-size='{step}']")
            assert page.get_attribute(f"#text-size [data-size='{step}']", "aria-pressed") == "true"
            sizes.append(size())
        assert sizes[0] < sizes[1] < sizes[2]
        ask(page, "办护照要带什么")
        assert size() == sizes[2]  # the citizen's choice holds for every reply


def test_everything_works_by_keyboard_with_a_visible_focus(page, scripted_rasa):
    with kiosk_on_screen(page, scripted_rasa.url):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement")
        assert focused is not None
        outline = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
        assert outline >= 2  # focus is visible, not just there
        suggestion = page.locator(".suggestions .buttons button").first
        suggestion.focus()
        replied(page, lambda: page.keyboard.press("Enter"))
        assert "您问的是" in page.locator("#conversation").inner_text()
        page.focus("#question")
        page.keyboard.type("社保卡怎么办")
        replied(page, lambda: page.keyboard.press("Enter"))
        live = page.locator("#conversation")
        assert live.get_attribute("aria-live") == "polite" and live.get_attribute("role") == "log"
        assert "您问的是：社保卡怎么办" in live.inner_text()  # new replies land inside the live region
        heard = live.aria_snapshot()  # what a screen reader reads: who says what
        assert "您说： 社保卡怎么办" in heard and "助手： 您问的是：社保卡怎么办" in heard


def test_read_aloud_is_hidden_without_a_chinese_voice(page, scripted_rasa):
    with kiosk_on_screen(page, scripted_rasa.url):
        voices = page.evaluate("'speechSynthesis' in window ? speechSynthesis.getVoices().map(v => v.lang) : []")
        if not any(re.match(r"(zh|cmn)", v, re.I) for v in voices):
            assert page.locator(".read-aloud").count() >= 1
            assert page.locator(".read-aloud:visible").count() == 0  # hidden, not broken


READING_VOICE = """
(() => {
  window.__spoken = [];
  const voice = { lang: "zh-CN", name: "普通话", default: true, localService: true, voiceURI: "zh" };
  Object.defineProperty(speechSynthesis, "getVoices", { value: () => [voice] });
  Object.defineProperty(speechSynthesis, "speak", { value: (u) => window.__spoken.push([u.text, u.lang]) });
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } }; // takes the stand-in voice
})();
"""


def test_read_aloud_reads_the_reply_in_a_chinese_voice(page, scripted_rasa):
    page.add_init_script(READING_VOICE)  # a kiosk whose browser has a Chinese voice
    with kiosk_on_screen(page, scripted_rasa.url):
        greeting = bot_bubbles(page).first
        button = greeting.get_by_role("button", name=re.compile("读给我听"))
        assert button.is_visible()
        button.click()
        spoken = page.evaluate("window.__spoken")
        assert spoken and spoken[-1][1] == "zh-CN"
        assert "请问您要办什么事" in spoken[-1][0] and "办护照" in spoken[-1][0]  # the options are read too
        assert_accessible(page, "read-aloud")


def test_the_guide_is_taken_away_by_qr_code(page, browser, real_kiosk):
    open_first_screen(page, real_kiosk.url)
    ask(page, "办护照要带什么")
    code = page.locator(".take-away img")
    page.wait_for_function("() => { const i = document.querySelector('.take-away img'); return i && i.complete }")
    assert code.first.evaluate("i => i.naturalWidth") > 100 and "办事指南" in code.first.get_attribute("alt")
    token = re.search(r"/sheet/([A-Za-z0-9_-]+)/qr.svg", code.first.get_attribute("src")).group(1)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    try:
        phone.goto(f"{real_kiosk.url}/sheet/{token}")
        body = phone.locator("body").inner_text()
        assert "办事指南：普通护照签发" in body and "□ 待准备：居民身份证" in body
        assert "以当地" in body  # local rules prevail
        phone.screenshot(path=str(ARTIFACTS / "a11y-phone-guide.png"))
    finally:
        phone.context.close()
    ask(page, "办护照要多少钱")
    again = page.locator(".take-away img").last.get_attribute("src")
    assert again == code.first.get_attribute("src")  # the same guide on the same screen: one link


def test_everything_works_by_touch(browser, scripted_rasa):
    """A finger on the hall's touch screen: taps, no hover, no fine pointer."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True, is_mobile=False)
    page = context.new_page()
    try:
        with kiosk_on_screen(page, scripted_rasa.url):
            page.tap("#text-size [data-size='1']")
            assert page.get_attribute("#text-size [data-size='1']", "aria-pressed") == "true"
            replied(page, lambda: page.tap(".suggestions .buttons button >> nth=0"))
            assert "您问的是" in page.locator("#conversation").inner_text()
            assert small_targets(page) == []
    finally:
        context.close()
