"""扫码带走: a checklist behind a random link, for a set time, unless staff revoke it."""

from __future__ import annotations

from domain_logic.sheet_links.store import EXPIRED, OK, REVOKED, UNKNOWN, SheetLinks, token_of

PAGE = "<html><body><h1>一次性告知单：普通护照签发</h1><p>✓ 居民身份证</p></body></html>"


def test_a_link_opens_its_sheet_until_it_expires(tmp_path):
    links = SheetLinks(f"sqlite:///{tmp_path / 'links.db'}")
    token = links.create("普通护照签发", PAGE, days=7, now=1_000_000.0)
    assert len(token) >= 32 and token != links.create("普通护照签发", PAGE, days=7, now=1_000_000.0)
    found = links.find(token, now=1_000_000.0 + 6 * 86400)
    assert found.status == OK and found.page == PAGE
    assert links.find(token, now=1_000_000.0 + 8 * 86400).status == EXPIRED
    assert links.find("no-such-token").status == UNKNOWN


def test_staff_revoke_a_link_and_it_stays_revoked(tmp_path):
    links = SheetLinks(f"sqlite:///{tmp_path / 'links.db'}")
    token = links.create("普通护照签发", PAGE)
    assert links.revoke(token_of(f"https://zhengwu.example/sheet/{token}"), "周九")
    assert links.find(token).status == REVOKED and links.find(token).page == ""
    assert not links.revoke(token, "周九")  # once is enough, and the second says so
