"""好差评 and the inbox in the console: figures, charts, CSV, cases moved and closed, questions grouped and
turned into an alias, training examples or dismissed; each for the roles that may."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from console_helpers import Browser, Clock, config, console, kb_copy
from domain_logic.inbox.store import InboxStore
from domain_logic.feedback.store import FeedbackStore
from knowledge_base.audit import AuditLog
from knowledge_base.source import read_entry

STAFF = [
    ("analyst", "王五", ["analyst"]),
    ("agent", "赵六", ["agent"]),
    ("editor", "张三", ["editor"]),
    ("reviewer", "李四", ["reviewer"]),
]


def run(coro):
    return asyncio.run(coro)


def seed_ratings(url: str, now: datetime) -> None:
    store = FeedbackStore(url)
    for n, (rating, channel) in enumerate([(5, "kiosk"), (4, "kiosk"), (5, "telegram"), (2, "telegram")]):
        store.add_rating(
            entry_id="passport",
            rating=rating,
            channel=channel,
            sender_id=f"s{n}",
            dimension="办事效率" if rating < 3 else None,
            comment="等了很久，我的电话13812345678" if rating < 3 else None,
            now=now - timedelta(days=3),
        )
    store.add_rating(
        entry_id="id-card-renewal",
        rating=1,
        channel="kiosk",
        sender_id="old",
        dimension="服务态度",
        now=now - timedelta(days=20),
    )  # its case is overdue by now
    store.engine.dispose()


def test_the_dashboard_shows_the_periods_figures_charts_and_csv_to_analysts_only(tmp_path):
    clock = Clock()
    cfg = config(tmp_path, kb_dir=kb_copy(tmp_path), clock=clock)
    seed_ratings(cfg.feedback_db_url, clock())

    async def scenario():
        async with console(cfg, STAFF) as client:
            analyst = Browser(client)
            await analyst.login("analyst")
            page = await analyst.get("/feedback?from=2026-11-01&to=2026-12-01")
            assert page.status == 200
            assert '<strong id="total">5</strong>' in page.body_text
            assert '<strong id="satisfaction">60.0%</strong>' in page.body_text
            assert '<strong id="bad-rate">40.0%</strong>' in page.body_text
            assert "普通护照签发（passport）" in page.body_text and "服务态度" in page.body_text
            only_kiosk = await analyst.get("/feedback?from=2026-11-01&to=2026-12-01&channel=kiosk")
            assert '<strong id="total">3</strong>' in only_kiosk.body_text
            chart = await analyst.http.get(client.make_url("/feedback/charts/weekly_trend.png?from=2026-11-01"))
            assert chart.status == 200 and chart.content_type == "image/png"
            assert (await chart.read()).startswith(b"\x89PNG")
            csv = await analyst.http.get(client.make_url("/feedback/report.csv?from=2026-11-01&to=2026-12-01"))
            body = (await csv.read()).decode("utf-8-sig")
            assert "attachment" in csv.headers["Content-Disposition"] and "评价总数,5" in body
            editor = Browser(client)
            await editor.login("editor")
            assert (await editor.get("/feedback")).status == 403
            assert (await editor.get("/feedback/cases")).status == 403

    run(scenario())


def test_cases_overdue_first_masked_and_moved_then_closed_with_a_note(tmp_path):
    clock = Clock()
    cfg = config(tmp_path, kb_dir=kb_copy(tmp_path), clock=clock)
    seed_ratings(cfg.feedback_db_url, clock())

    async def scenario():
        async with console(cfg, STAFF) as client:
            agent = Browser(client)
            await agent.login("agent")
            listing = (await agent.get("/feedback/cases")).body_text
            rows = listing.split("<tbody>")[1]
            assert rows.index("id-card-renewal") < rows.index("passport")  # the overdue case first
            assert "138****5678" in listing and "13812345678" not in listing
            case_id = next(c.id for c in FeedbackStore(cfg.feedback_db_url).cases() if c.entry_id == "passport")
            refused = await agent.post(f"/feedback/cases/{case_id}/move", {"to": "整改中", "note": ""})
            assert "请填写处理说明" in (await agent.get(refused.headers["Location"])).body_text
            await agent.post(f"/feedback/cases/{case_id}/move", {"to": "整改中", "note": "已电话联系，指南已更正"})
            wrong = await agent.post(f"/feedback/cases/{case_id}/move", {"to": "复核结果", "note": "x"})
            assert "只能转为" in (await agent.get(wrong.headers["Location"])).body_text
            await agent.post(f"/feedback/cases/{case_id}/move", {"to": "已整改", "note": "窗口已整改"})
            await agent.post(f"/feedback/cases/{case_id}/move", {"to": "已回访", "note": "回访满意"})
            page = await agent.get(f"/feedback/cases/{case_id}")
            assert "已结案" in page.body_text and "整改中 赵六 已电话联系，指南已更正" in page.body_text
            history = FeedbackStore(cfg.feedback_db_url).history(case_id)
            assert [(h["to_status"], h["actor"]) for h in history] == [
                ("待回访", "system"),
                ("整改中", "赵六"),
                ("已整改", "赵六"),
                ("已回访", "赵六"),
            ]

    run(scenario())


def test_the_inbox_groups_similar_questions_and_a_reviewer_turns_a_group_into_an_alias(tmp_path):
    kb_dir = kb_copy(tmp_path)
    cfg = config(tmp_path, kb_dir=kb_dir, nlu_file=tmp_path / "from_inbox.yml")
    inbox = InboxStore(cfg.feedback_db_url)
    for text in ("环球通行本怎么办", "环球通行本怎么办理", "我的身份证号110105199001011234丢了"):
        inbox.log_unanswered(text, "nlu_fallback", None, "kiosk")

    async def scenario():
        async with console(cfg, STAFF) as client:
            editor = Browser(client)
            await editor.login("editor")
            page = (await editor.get("/inbox")).body_text
            assert "第 1 组 · 2 条" in page and "第 2 组 · 1 条" in page
            assert "110105********1234" in page and "110105199001011234" not in page
            assert "/inbox/to-kb" not in page  # an editor does not change the served knowledge base from here
            ids = [e["id"] for e in inbox.inbox()]
            refused = await editor.post(
                "/inbox/to-kb", [("ids", str(ids[0])), ("ids", str(ids[1])), ("action", "alias"), ("item", "passport")]
            )
            assert refused.status == 403
            tried = await editor.post("/inbox/try", {"text": "环球通行本怎么办"})
            assert "连不上运行中的助手" in tried.body_text  # no bot runs in this test

            reviewer = Browser(client)
            await reviewer.login("reviewer")
            done = await reviewer.post(
                "/inbox/to-kb",
                [
                    ("ids", str(ids[0])),
                    ("ids", str(ids[1])),
                    ("action", "alias"),
                    ("item", "passport"),
                    ("text", "环球通行本"),
                ],
            )
            assert "已给 passport 添加别名“环球通行本”" in (await reviewer.get(done.headers["Location"])).body_text
            assert "环球通行本" in read_entry(kb_dir / "items" / "passport.yml")["aliases"]
            assert AuditLog(kb_dir).history("passport")[-1]["operator"] == "李四"
            await editor.post(
                "/inbox/other", [("ids", str(ids[2])), ("action", "example"), ("intent", "inquire_service")]
            )
            assert "我的身份证号110105********1234丢了" in (tmp_path / "from_inbox.yml").read_text(encoding="utf-8")
            assert inbox.inbox() == []
            assert "收件箱是空的" in (await editor.get("/inbox")).body_text

    run(scenario())
