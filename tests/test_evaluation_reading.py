"""The end-to-end evaluation reads replies as a citizen would: tested on canned replies."""

from __future__ import annotations

from bot.evaluation.reading import ANSWERED, ASKED, NO_ANSWER, NO_GUIDE, judge, read_reply

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
    assert judge(reading, "outside", "police-hukou").category == "honest"


def test_the_honest_answer_names_its_department():
    reading = read(
        {
            "text": "抱歉，我这里还没有「居住证补领（遗失）」的办事指南，不能给您准确的材料清单。\n"
            "这类事项由公安户政部门办理。",
            "buttons": [button("居住证申领", "residence-permit"), {"title": "转人工", "payload": "/request_human"}],
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


def test_the_gate_fails_below_its_thresholds():
    from bot.evaluation.end_to_end import Result, gate_failures
    from bot.evaluation.reading import Reading, Verdict

    def result(expect: str, category: str, named=None) -> Result:
        return Result({"expect": expect}, Reading("answered"), Verdict(category, named))

    good = (
        [result("passport", "right")] * 97
        + [result("passport", "wrong")] * 3
        + [result("outside", "honest", True)] * 19
        + [result("outside", "claimed", True)]
    )
    scenario = [({"name": "s"}, [result("passport", "right")])]
    assert gate_failures(good, scenario) == []
    worse = good + [result("passport", "wrong")] * 2
    assert any(f.startswith("another item answered") for f in gate_failures(worse, scenario))
    assert gate_failures(good, [({"name": "s"}, [result("passport", "wrong")])]) == [
        "scenarios passed: 0.0 % (must be >= 88.0 %)"
    ]
