"""Whole conversations with the trained model and the live action server."""

from __future__ import annotations

import pytest

from helpers import buttons_of


@pytest.mark.parametrize(
    "question, expected",
    [
        ("你好呀", "政务服务助手"),
        ("好的谢谢你啦", "不客气"),
        ("那先这样吧，再见", "再见"),
        ("你是真人还是机器", "智能助手"),
        ("今天天气怎么样", "超出了我的服务范围"),
        ("我要找人工客服", "工作人员"),
        ("我想给你们评个分", "评价"),
    ],
)
def test_small_talk_and_routing_intents(conversation, question, expected):
    assert expected in conversation.text(question)


@pytest.mark.parametrize(
    "question, expected",
    [
        ("办护照要带些什么东西", "出入境证件相片"),
        ("护照办理的流程是怎样的", "办理流程"),
        ("申请护照需要满足什么条件", "受理条件"),
        ("护照多久能办下来", "承诺办结时限"),
        ("护照工本费多少钱", "120元"),
        ("护照去哪里办", "办理地点"),
        ("出入境大厅周六上班吗 我想办护照", "办公时间"),
        ("护照可以网上申请吗", "到现场次数"),
        ("护照的咨询电话是多少", "12367"),
        ("护照", "实施部门"),
        ("帮我准备一下办护照的材料", "我们来准备"),
    ],
)
def test_every_service_question_is_answered_from_the_guide(conversation, question, expected):
    reply = conversation.text(question)
    assert expected in reply and "普通护照签发" in reply


def test_follow_up_keeps_the_service_and_switches_when_another_is_named(conversation):
    assert "普通护照签发" in conversation.text("办护照要带什么")
    reply = conversation.text("那要多少钱？")
    assert "普通护照签发" in reply and "120元" in reply
    reply = conversation.text("结婚登记在哪里办")
    assert "结婚登记" in reply and "办理地点" in reply
    assert "结婚登记" in conversation.text("要多久")
    assert conversation.slot("service") == "marriage-registration"


def test_ambiguous_id_card_is_disambiguated_with_buttons(conversation):
    messages = conversation.say("身份证要带什么材料")
    titles = [b["title"] for b in buttons_of(messages)]
    assert any("换领" in t for t in titles) and any("补领" in t for t in titles)
    reissue = next(b for b in buttons_of(messages) if "补领" in b["title"])
    reply = conversation.text(reissue["payload"])
    assert "居民身份证补领" in reply and "1. " in reply


def test_question_without_service_asks_which_one(conversation):
    messages = conversation.say("需要带什么材料")
    assert "哪一项" in messages[0]["text"]
    assert 1 <= len(buttons_of(messages)) <= 3  # a few common items to tap, never a menu


def test_life_event_lists_members_and_trips(conversation):
    reply = conversation.text("孩子出生了要办哪些手续")
    assert "新生儿出生一件事" in reply
    assert "出生医学证明" in reply and "社会保障卡" in reply and "跑" in reply


def test_typo_and_traditional_characters_still_reach_the_service(conversation):
    assert "企业设立登记" in conversation.text("办营业执招要带啥")
    assert "普通护照签发" in conversation.text("辦護照要帶什麼")


@pytest.mark.parametrize("gibberish", ["咕噜咕噜哔哩哔哩", "asdfjkl;", "嗯嗯啊啊呃呃"])
def test_gibberish_is_guided_back_to_saying_what_they_need(conversation, gibberish):
    """Whatever the NLU makes of it, the reply invites the citizen to name their business."""
    text = conversation.text(gibberish)
    assert "要办的事" in text or "超出了我的服务范围" in text
    assert conversation.slot("service") is None


def test_fallback_offers_a_human_and_no_unrelated_items(conversation):
    messages = conversation.say("/nlu_fallback")
    titles = [b["title"] for b in buttons_of(messages)]
    assert "12345" in messages[0]["text"] and "办护照要带什么" in messages[0]["text"]
    assert titles == ["转人工"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀🎉",
        "<script>alert(1)</script>",
        "How do I get a passport?",
        "请问" * 2500,
        "\u0000\u200b",
        "1234567890",
    ],
)
def test_odd_input_gets_a_polite_non_empty_reply(conversation, text):
    messages = conversation.say(text)
    assert messages and all(m.get("text") for m in messages)
    assert not any("Traceback" in m["text"] for m in messages)


def test_ambiguous_mention_after_another_service_still_asks(conversation):
    """Outside a flow, 身份证 after a passport question means the 身份证 services."""
    conversation.say("办护照要带什么")
    titles = [b["title"] for b in buttons_of(conversation.say("身份证要带什么"))]
    assert any("换领" in t for t in titles) and any("补领" in t for t in titles)
