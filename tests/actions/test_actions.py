"""The actions, driven through rasa_sdk's Tracker and CollectingDispatcher."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from domain_logic import replies
from actions.answer_question import ActionAnswerQuestion
from actions.fallback import ActionServiceFallback
from actions.feedback_flow import CHOICES
from helpers import ROOT, as_rasa_words_them, domain_responses


def tracker(
    intent: str,
    entities: Optional[List[Dict[str, Any]]] = None,
    slot: Optional[str] = None,
    text: str = "",
    confidence: float = 0.9,
) -> Tracker:
    return Tracker(
        sender_id="unit",
        slots={"service": slot},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def named(service_id: str, confidence: float = 1.0) -> Dict[str, Any]:
    return {"entity": "service", "value": service_id, "confidence": confidence}


def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, {})
    assert dispatcher.messages, "the bot must never be silent"
    return as_rasa_words_them(dispatcher.messages), events


def test_every_response_an_action_names_is_worded_in_the_domain():
    """A fixed prompt lives in domain.yml; a name that is not there would reach Rasa as silence."""
    named = set()
    for path in (ROOT / "actions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        named |= set(re.findall(r'response="(utter_\w+)"', source))
        named |= {f"utter_ask_{slot}" for slot in CHOICES} if 'f"utter_ask_{slot}"' in source else set()
    assert len(named) > 20
    assert named <= set(domain_responses())


def test_materials_are_a_numbered_list_with_form_copies_and_conditions():
    messages, events = run(ActionAnswerQuestion(), tracker("ask_materials", [named("passport")]))
    text = messages[0]["text"]
    assert "普通护照签发" in text
    lines = [l for l in text.splitlines() if re.match(r"\d+\. ", l)]
    assert lines[0].startswith("1. 居民身份证（原件")
    assert any("份" in l for l in lines)
    assert any("〔视情况：" in l and "授权委托书" in l for l in lines)
    assert "以当地政务服务中心" in text
    assert (events[0]["event"], events[0]["name"], events[0]["value"]) == ("slot", "service", "passport")


def test_answer_offers_the_natural_next_steps():
    messages, _ = run(ActionAnswerQuestion(), tracker("ask_materials", [named("passport")]))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["办理流程", "办理地点", "开始准备材料", "评价本次服务"]
    assert messages[0]["buttons"][0]["payload"] == '/ask_process{"service": "passport"}'


@pytest.mark.parametrize(
    "intent, expected",
    [
        ("ask_fee", "120元"),
        ("ask_time_limit", "承诺办结时限"),
        ("ask_location", "出入境"),
        ("ask_hours", "9:00"),
        ("ask_online", "到现场次数"),
        ("ask_contact", "12367"),
        ("ask_process", "1. "),
        ("ask_conditions", "受理条件"),
        ("inquire_service", "实施部门"),
    ],
)
def test_each_question_gets_its_part_of_the_guide(intent, expected):
    messages, _ = run(ActionAnswerQuestion(), tracker(intent, [named("passport")]))
    assert expected in messages[0]["text"]


def test_follow_up_uses_the_service_in_context():
    messages, _ = run(ActionAnswerQuestion(), tracker("ask_fee", slot="id-card-renewal"))
    assert "居民身份证换领" in messages[0]["text"]


def test_naming_another_service_switches_context():
    messages, events = run(
        ActionAnswerQuestion(), tracker("ask_fee", [named("marriage-registration")], slot="passport")
    )
    assert "结婚登记" in messages[0]["text"]
    assert events[0]["value"] == "marriage-registration"


def test_a_weak_guess_does_not_replace_the_service_in_context():
    messages, _ = run(ActionAnswerQuestion(), tracker("ask_materials", [named("hukou-transfer", 0.6)], slot="passport"))
    assert "普通护照签发" in messages[0]["text"]


def test_a_weak_guess_without_context_is_answered_and_flagged():
    messages, _ = run(ActionAnswerQuestion(), tracker("ask_fee", [named("seal-engraving", 0.6)]))
    assert messages[0]["text"].startswith("（按「印章刻制备案」为您解答")


def test_ambiguous_mention_asks_with_buttons_that_answer_the_same_question():
    candidates = [{"entity": "service_candidate", "value": v} for v in ("id-card-renewal", "id-card-reissue")]
    messages, events = run(ActionAnswerQuestion(), tracker("ask_materials", candidates))
    assert [(e["name"], e["value"]) for e in events] == [("service_family", "id-card")]  # for 丢了呢 next
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ['/ask_materials{"service": "id-card-renewal"}', '/ask_materials{"service": "id-card-reissue"}']


def test_no_service_asks_which_one_with_popular_choices():
    messages, _ = run(ActionAnswerQuestion(), tracker("ask_materials"))
    assert "哪一项" in messages[0]["text"]
    assert 1 <= len(messages[0]["buttons"]) <= 3  # a few to tap, never a menu
    assert all(b["payload"].startswith("/ask_materials{") for b in messages[0]["buttons"])


def test_bundle_lists_members_merged_materials_and_trips():
    messages, _ = run(ActionAnswerQuestion(), tracker("inquire_service", [named("bundle-newborn")]))
    text = messages[0]["text"]
    for member in ("出生医学证明办理", "出生登记", "城乡居民基本医疗保险参保登记", "社会保障卡申领"):
        assert member in text
    assert "预防接种证" in text and "跑" in text

    messages, _ = run(ActionAnswerQuestion(), tracker("ask_materials", [named("bundle-newborn")]))
    assert messages[0]["text"].count("父母双方居民身份证") == 1


def test_fallback_offers_a_human_and_no_list_of_unrelated_items():
    messages, _ = run(ActionServiceFallback(), tracker("nlu_fallback", text="嗯嗯啊啊"))
    text = messages[0]["text"]
    assert "12345" in text and "办护照要带什么" in text  # an example of how to ask
    assert [b["title"] for b in messages[0]["buttons"]] == ["转人工"]


def inbox_texts() -> List[str]:
    from actions.inbox_log import inbox_store

    return [e["text"] for e in inbox_store().inbox()]


def test_fallbacks_and_low_confidence_answers_go_to_the_staff_inbox_masked():
    from actions.inbox_log import inbox_store

    run(ActionServiceFallback(), tracker("nlu_fallback", text="我电话13912345678，那个证怎么弄"))
    run(ActionAnswerQuestion(), tracker("ask_fee", [named("passport")], text="护照那个钱咋算", confidence=0.41))
    run(ActionAnswerQuestion(), tracker("ask_fee", [named("seal-engraving", 0.6)], text="刻个章多少钱呀"))
    run(ActionAnswerQuestion(), tracker("ask_fee", [named("passport")], text="办护照多少钱"))  # confident
    texts = inbox_texts()
    assert "我电话139****5678，那个证怎么弄" in texts
    assert "护照那个钱咋算" in texts and "刻个章多少钱呀" in texts
    assert "办护照多少钱" not in texts
    row = next(e for e in inbox_store().inbox() if e["text"] == "护照那个钱咋算")
    assert (row["intent"], row["service"]) == ("ask_fee", "passport") and row["at"] is not None


def test_fallback_with_a_named_service_shows_its_overview():
    messages, _ = run(ActionServiceFallback(), tracker("nlu_fallback", [named("passport")]))
    assert "普通护照签发" in messages[0]["text"]


def test_a_failing_answer_becomes_a_polite_apology(monkeypatch):
    def broken(entry):
        raise KeyError("unexpected")

    monkeypatch.setitem(replies.ANSWERS, "ask_fee", broken)
    messages, events = run(ActionAnswerQuestion(), tracker("ask_fee", [named("passport")]))
    assert [m["text"] for m in messages] == ["抱歉，暂时无法查询，请稍后再试，或拨打 12345 政务服务便民热线。"]
    assert events == []


# ---- catalogue v2: look-ups, help services and matters without a guide ----------------------
def test_a_look_up_leads_with_its_channels_and_offers_no_checklist():
    messages, events = run(ActionAnswerQuestion(), tracker("inquire_service", [named("driving-license-query")]))
    text = messages[0]["text"]
    assert text.startswith("「驾驶证信息与记分查询（含满分学习）」可以通过以下渠道查询：\n1. ")
    assert "12123" in text.split("\n")[1]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "开始准备材料" not in titles and "需要什么材料" in titles
    assert events[0]["value"] == "driving-license-query"


def test_an_application_still_offers_the_checklist():
    messages, _ = run(ActionAnswerQuestion(), tracker("inquire_service", [named("driving-license-reissue")]))
    assert "需准备" in messages[0]["text"]
    assert "开始准备材料" in [b["title"] for b in messages[0]["buttons"]]


def test_asking_what_to_bring_for_a_help_service_says_there_is_nothing_to_hand_in():
    messages, _ = run(ActionAnswerQuestion(), tracker("ask_materials", [named("complaint-report")]))
    text = messages[0]["text"]
    assert "不需要提交申请材料" in text and "12345" in text and "96110" in text


def test_preparing_a_look_up_is_declined_politely_with_how_to_do_it():
    from actions.checklist_flow import ActionChecklistStart

    messages, events = run(ActionChecklistStart(), tracker("start_checklist", [named("housing-fund-query")]))
    assert "不需要提前准备申请材料" in messages[0]["text"] and "12329" in messages[0]["text"]
    assert not any(e.get("event") == "followup" for e in events)  # the form is not opened
    assert "开始准备材料" not in [b["title"] for b in messages[0]["buttons"]]


def gap(matter: str, department: str) -> List[Dict[str, Any]]:
    return [{"entity": "uncovered", "value": matter}, {"entity": "department", "value": department}]


def test_a_sibling_without_a_guide_gets_the_honest_answer_not_the_service_in_context():
    messages, events = run(
        ActionAnswerQuestion(),
        tracker("ask_materials", gap("居住证补领（遗失）", "police-hukou"), slot="passport", text="居住证丢了怎么办"),
    )
    text = messages[0]["text"]
    assert "还没有「居住证补领（遗失）」的办事指南" in text
    assert "公安户政" in text and "派出所" in text
    assert "普通护照" not in text and "需要准备" not in text
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["转人工"]  # no sibling's guide offered in its place
    assert [(e["name"], e["value"]) for e in events] == [("service", None), ("service_family", "residence-permit")]


def test_a_domain_without_a_service_names_the_department():
    from actions.fallback import ActionOutOfScope

    messages, _ = run(
        ActionOutOfScope(),
        tracker("out_of_scope", [{"entity": "department", "value": "anti-fraud"}], text="接到电话说我涉嫌洗钱"),
    )
    assert "96110" in messages[0]["text"] and "110" in messages[0]["text"]
    messages, _ = run(ActionOutOfScope(), tracker("out_of_scope", text="今天天气怎么样"))
    assert messages[0]["response"] == "utter_out_of_scope"


def test_a_family_term_alone_asks_one_short_question_of_three():
    candidates = [
        # as the NLU gives them for 驾照 alone: the family's members, nothing else in the sentence
        {"entity": "service_candidate", "value": v, "score": 0.0, "source": "family", "coverage": 1.0}
        for v in ("driving-license-renewal", "driving-license-reissue", "driving-license-damaged")
    ]
    messages, _ = run(
        ActionAnswerQuestion(), tracker("ask_materials", candidates, slot="passport", text="驾照要带什么")
    )
    assert messages[0]["text"].startswith("请问您要办的是下面哪一项？")
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "机动车驾驶证期满换证",
        "机动车驾驶证补领（遗失）",
        "机动车驾驶证损毁换领",
    ]


def test_an_unsure_turn_that_decides_an_item_answers_it_with_the_alternatives_one_tap_away():
    """The fallback answers a likely item as the question actions do: 不是这个？ and the others under it."""
    candidates = [
        {"entity": "service_candidate", "value": v, "score": s, "source": "cues", "coverage": 1.0}
        for v, s in (("driving-license-renewal", 0.9), ("driving-license-reissue", 0.0))
    ]
    messages, events = run(ActionServiceFallback(), tracker("nlu_fallback", candidates, text="驾照换证"))
    assert "机动车驾驶证期满换证" in messages[0]["text"]
    assert messages[-1]["text"].startswith("不是这个")
    assert [b["title"] for b in messages[-1]["buttons"]] == ["机动车驾驶证补领（遗失）"]
