"""The end-to-end evaluation reads replies as a citizen would: tested on canned replies."""

from __future__ import annotations

from tools.evaluation.reading import ANSWERED, ASKED, NO_ANSWER, NO_GUIDE, judge, read_reply

NAMES = {
    "普通护照签发": "passport",
    "居民身份证补领（遗失）": "id-card-reissue",
    "居民身份证换领（到期/损坏）": "id-card-renewal",
    "居住证申领": "residence-permit",
}
DEPARTMENTS = {"公安户政": "police-hukou", "公安出入境": "police-exit-entry"}


def button(title: str, service: str, intent: str = "inquire_service") -> dict:
    return {"title": title, "payload": f'/{intent}{{"service": "{service}"}}'}


def read(*messages: dict):
    return read_reply(list(messages), NAMES, DEPARTMENTS)


def test_an_answer_is_read_as_the_guide_it_quotes():
    reading = read(
        {"text": "办理「普通护照签发」需要准备：\n1. 居民身份证", "buttons": [button("办理流程", "passport")]}
    )
    assert (reading.outcome, reading.entry) == (ANSWERED, "passport")
    assert judge(reading, "passport").category == "right"
    assert judge(reading, "id-card-reissue").category == "wrong"
    assert judge(reading, "outside", "police-hukou").category == "claimed"


def test_a_guess_is_still_an_answer():
    reading = read({"text": "（按「居住证申领」为您解答；如果不是您要办的事，请告诉我具体名称。）\n「居住证申领」：…"})
    assert reading.entry == "residence-permit"


def test_a_question_back_counts_only_with_the_right_option():
    reading = read(
        {
            "text": "您的身份证是到期或损坏了要换领，丢了要补领？请选择一项：",
            "buttons": [
                button("居民身份证补领（遗失）", "id-card-reissue"),
                button("居民身份证换领（到期/损坏）", "id-card-renewal"),
            ],
        }
    )
    assert reading.outcome == ASKED and reading.options == ("id-card-reissue", "id-card-renewal")
    assert judge(reading, "id-card-renewal").category == "asked_right"
    assert judge(reading, "passport").category == "no_answer"
    assert judge(reading, "clarify").category == "right"
    assert judge(reading, "outside", "police-hukou").category == "offered"


def test_the_honest_answer_names_its_department():
    reading = read(
        {
            "text": "抱歉，我这里还没有「居住证补领（遗失）」的办事指南，不能给您准确的材料清单。\n"
            "这类事项由公安户政部门办理。",
            "buttons": [{"title": "转人工", "payload": "/request_human"}],
        }
    )
    assert reading.outcome == NO_GUIDE and reading.departments == ("police-hukou",)
    verdict = judge(reading, "outside", "police-hukou")
    assert verdict.category == "honest" and verdict.department_named is True
    assert judge(reading, "outside", "police-exit-entry").department_named is False
    assert judge(reading, "outside", "none").department_named is None
    assert judge(reading, "residence-permit").category == "no_answer"


def test_fallbacks_goodbyes_and_silence_are_no_answer():
    for messages in ([{"text": "抱歉，我没有理解您的问题。常办事项："}], [{"text": "再见！"}], []):
        reading = read(*messages)
        assert reading.outcome in (NO_ANSWER, ASKED)
        assert judge(reading, "passport").category == "no_answer"


def test_a_question_back_with_more_than_three_options_is_a_menu_not_a_success():
    four = [
        button("居民身份证补领（遗失）", "id-card-reissue"),
        button("居民身份证换领（到期/损坏）", "id-card-renewal"),
        button("普通护照签发", "passport"),
        button("居住证申领", "residence-permit"),
    ]
    reading = read({"text": "您说的可能是以下几项，请选择一项：", "buttons": four})
    assert reading.is_menu
    assert judge(reading, "id-card-renewal").category == "menu"
    assert judge(reading, "clarify").category == "menu"
    assert judge(reading, "outside", "police-hukou").category == "offered"
    three = read({"text": "您说的可能是以下几项，请选择一项：", "buttons": four[:3]})
    assert judge(three, "id-card-renewal").category == "asked_right"


def test_the_generic_popular_items_reply_is_no_success():
    popular = read(
        {
            "text": "请问您要办理的是哪一项业务？可以直接说名称，或点选常办事项：",
            "buttons": [button("普通护照签发", "passport"), button("居住证申领", "residence-permit")],
        }
    )
    assert judge(popular, "id-card-renewal").category == "no_answer"
    assert judge(popular, "outside", "police-hukou").category == "offered"


def test_an_answer_with_alternatives_is_an_answer_and_its_next_steps_are_no_options():
    reading = read(
        {"text": "办理「居民身份证换领（到期/损坏）」需要准备：…", "buttons": [button("办理流程", "id-card-renewal")]},
        {"text": "不是这个？您可能要办：", "buttons": [button("居民身份证补领（遗失）", "id-card-reissue")]},
    )
    assert (reading.outcome, reading.entry, reading.options) == (ANSWERED, "id-card-renewal", ("id-card-reissue",))
    assert judge(reading, "id-card-renewal").category == "right"
    assert judge(reading, "id-card-reissue").category == "wrong"


def test_outside_an_honest_reply_offers_no_item():
    reading = read({"text": "抱歉，我这里还没有这方面的办事指南。这类事项由公安户政部门办理。"})
    assert judge(reading, "outside", "police-hukou").category == "honest"


def test_the_gate_fails_below_its_thresholds():
    from tools.evaluation.end_to_end import TARGETS, Result, gate_failures
    from tools.evaluation.reading import Reading, Verdict

    def result(expect: str, category: str, named=None) -> Result:
        return Result({"expect": expect}, Reading("answered"), Verdict(category, named))

    good = (
        [result("passport", "right")] * 90
        + [result("passport", "asked_right")] * 5
        + [result("passport", "wrong")] * 3
        + [result("passport", "menu")] * 2
        + [result("outside", "honest", True)] * 16
        + [result("outside", "offered", True)] * 3
        + [result("outside", "claimed", True)]
    )
    scenario = [({"name": "s"}, [result("passport", "right")])]
    assert gate_failures(good, scenario, TARGETS) == []
    worse = good + [result("passport", "wrong")] * 2
    assert any(f.startswith("another item answered") for f in gate_failures(worse, scenario, TARGETS))
    # A menu is no success: replacing right answers by menus fails the outright and the asked figures.
    menus = [result("passport", "menu")] * 20 + good[20:]
    failed = {f.split(":")[0] for f in gate_failures(menus, scenario, TARGETS)}
    assert {"answered outright right", "right or asked (≤ 3 options)"} <= failed
    offering = good + [result("outside", "offered", True)] * 5
    assert [f.split(":")[0] for f in gate_failures(offering, scenario, TARGETS)] == ["items offered"]
    assert gate_failures(good, [({"name": "s"}, [result("passport", "asked_right")])], TARGETS) == [
        "scenarios outright on every turn: 0.0 % (must be >= 80.0 %)"
    ]


def test_the_regression_gate_fails_a_change_for_the_worse():
    from tools.evaluation.end_to_end import Result, gate_failures
    from tools.evaluation.reading import Reading, Verdict

    def result(expect: str, category: str) -> Result:
        return Result({"expect": expect}, Reading("answered"), Verdict(category, True))

    today = [result("passport", "right")] * 74 + [result("passport", "asked_right")] * 18
    today += [result("passport", "no_answer")] * 6 + [result("passport", "wrong")] * 2
    today += (
        [result("outside", "honest")] * 65 + [result("outside", "offered")] * 30 + [result("outside", "claimed")] * 5
    )
    scenario = [({"name": "s"}, [result("passport", "right")])]
    assert gate_failures(today, scenario) == []
    assert gate_failures(today + [result("outside", "claimed")] * 6, scenario)
