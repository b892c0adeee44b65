"""The kiosk page as a citizen uses it, for the kiosk's browser tests (tests/relays/test_kiosk*.py)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from helpers import Kiosk


@contextmanager
def kiosk_on_screen(page, rasa_url: str, **settings) -> Iterator[Kiosk]:
    """A kiosk of its own (idle, countdown, environment variables), open in `page` on the first screen."""
    kiosk = Kiosk(rasa_url, **settings)
    try:
        open_first_screen(page, kiosk.url)
        yield kiosk
    finally:
        stderr = kiosk.stop()
    assert "Traceback" not in stderr


def open_first_screen(page, url: str) -> None:
    page.goto(url)
    page.locator(".suggestions .buttons button").first.wait_for(timeout=60_000)


def bot_bubbles(page):
    return page.locator(".message.bot:not(.pending)")


def replied(page, action) -> None:
    """Do `action` (type, click…) and wait until the assistant's answer is on the screen."""
    before = bot_bubbles(page).count()
    action()
    page.wait_for_function(
        f"() => document.querySelectorAll('.message.bot:not(.pending)').length > {before}", timeout=60_000
    )


def ask(page, text: str) -> None:
    page.fill("#question", text)
    replied(page, lambda: page.press("#question", "Enter"))


def sheet_on_screen(page, kiosk: Kiosk):
    """A passport checklist on the kiosk, answered by touch, up to its sheet (the photo missing)."""
    open_first_screen(page, kiosk.url)
    ask(page, "帮我准备一下办护照的材料")
    answers = {"本人办理": "本人办理", "旧护照": "没有", "16周岁": "否", "出入境证件相片": "还没有"}
    for _ in range(12):
        if page.locator(".print-sheet").count():
            break
        step = bot_bubbles(page).last
        text = step.inner_text()
        choice = next((a for fragment, a in answers.items() if fragment in text), "已备好")
        replied(page, step.get_by_role("button", name=choice, exact=True).click)
    return page.locator(".message.bot", has=page.locator(".print-sheet"))
