"""The failure classes seen on real citizen questions (issue 13), as conversations over the REST channel.

Wordings are ours; none comes from the frozen evaluation set.
"""

from __future__ import annotations

import time

import pytest

from helpers import buttons_of, rest, texts


class Citizen:
    """One conversation over Rasa's REST channel."""

    def __init__(self, url: str) -> None:
        self.url, self.sender = url, f"citizen-{time.monotonic_ns()}"

    def says(self, text: str):
        return rest(self.url, self.sender, text)


@pytest.fixture
def citizen(rasa_server) -> Citizen:
    return Citizen(rasa_server[0])


def answered(replies) -> str:
    """The 「name」 the first reply quotes: the guide the citizen was given."""
    first = replies[0]["text"] if replies else ""
    return first[first.index("「") + 1 : first.index("」")] if "「" in first else ""


def test_a_new_topic_is_not_answered_with_the_old_one(citizen):
    assert answered(citizen.says("企业注销登记要什么材料")) == "企业注销登记"
    assert answered(citizen.says("对了我的驾驶证找不着了咋补")) == "机动车驾驶证补领（遗失）"
    # a topic we have no guide for is honest, not the service in context
    reply = texts(citizen.says("另外，我家老人的房子想办继承公证，去哪里办"))
    assert "还没有这方面的办事指南" in reply and "部门办理" in reply
    assert "机动车驾驶证补领（遗失）」" not in reply


@pytest.mark.parametrize(
    "text, expected",
    [
        ("打算开一家小公司要准备点啥", "企业设立登记（营业执照）"),
        ("公司要关门了注销怎么弄", "企业注销登记"),
        ("户口要从这里迁走去外省", "户口迁出（户口迁移证）"),
        ("夫妻投靠想把户口迁进来", "户口迁移（迁入）"),
        ("社保卡坏了读不出来", "社会保障卡补领、换领"),
        ("社保卡想临时挂失一下", "社会保障卡挂失与解挂"),
    ],
)
def test_opposite_actions_are_never_swapped(citizen, text, expected):
    assert answered(citizen.says(text)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("谢谢啊，再问下居住证续签要带啥", "居住证签注（续期）与换领"),
        ("想把公司法定代表人换一个人，找谁办", "企业变更登记"),
        ("再见之前问一句，护照多久能拿到", "普通护照签发"),
    ],
)
def test_small_talk_words_do_not_swallow_a_service_question(citizen, text, expected):
    replies = citizen.says(text)
    assert answered(replies) == expected, texts(replies)
    assert "再见！" not in texts(replies) and "不客气" not in texts(replies)


def test_plain_small_talk_is_still_small_talk(citizen):
    assert "再见" in texts(citizen.says("好的再见"))
    assert "不客气" in texts(citizen.says("谢谢你"))
    # a complaint about the assistant itself is feedback, even though 投诉 names the 投诉举报 service
    reply = citizen.says("这个回答一点用都没有，我要投诉")
    assert "评价" in texts(reply) and "非常不满意" in {b["title"] for b in buttons_of(reply)}


def test_a_named_service_with_an_unclear_question_gets_its_overview(citizen):
    replies = citizen.says("护照 嗯那个 咋说呢")
    assert answered(replies) == "普通护照签发"
    assert len({"需要什么材料", "办理流程", "办理地点"} & {b["title"] for b in buttons_of(replies)}) >= 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("毕业生积分入户要准备哪些材料", "户口迁移（迁入）"),
        ("公积金申请提取后多久到账", "住房公积金提取"),
        ("以前断缴了两年社保想补上", "社会保险费补缴"),
        ("驾照联检在哪做", "机动车驾驶证审验（年审）"),
    ],
)
def test_colloquial_and_official_words(citizen, text, expected):
    assert answered(citizen.says(text)) == expected


def test_elliptical_switches_move_to_the_sibling(citizen):
    assert answered(citizen.says("结婚登记需要带什么")) == "结婚登记"
    assert answered(citizen.says("那离婚呢")) == "离婚登记"
    other = Citizen(citizen.url)
    assert answered(other.says("驾照到期换证需要啥")) == "机动车驾驶证期满换证"
    assert answered(other.says("那要是丢了呢")) == "机动车驾驶证补领（遗失）"
    assert answered(other.says("要多少钱")) == "机动车驾驶证补领（遗失）"  # the new one stays in context


def test_a_correction_drops_what_was_retracted(citizen):
    assert answered(citizen.says("身份证到期了怎么换")) == "居民身份证换领（到期/损坏）"
    assert answered(citizen.says("不是到期，是丢了")) == "居民身份证补领（遗失）"


def test_a_family_question_then_a_cue_settles_it(citizen):
    reply = citizen.says("社保卡的事想问问")
    assert "请问您要办的是" in texts(reply) and 1 <= len(buttons_of(reply)) <= 3  # one short question
    assert answered(citizen.says("密码忘记了")) == "社会保障卡密码修改与重置"


def test_a_policy_figure_is_not_answered_with_the_guide(citizen):
    reply = texts(citizen.says("失业保险金每个月能领多少钱"))
    assert "不能给您准确的答复" in reply and "人力资源和社会保障" in reply and "12333" in reply
    # ... and a follow-up about the amount, with the service in context, too
    assert answered(citizen.says("失业保险金申领要带什么")) == "失业保险金申领"
    assert "不能给您准确的答复" in texts(citizen.says("那标准是多少"))


def test_a_guess_is_offered_not_presented_as_the_answer(citizen):
    replies = citizen.says("想了解一下帮扶困难家庭有什么办法")
    text = texts(replies)
    assert not text.startswith("（按「")
    assert "您是想了解以下哪项" in text or "办事指南" in text


def test_an_elliptical_switch_keeps_the_rest_of_the_topic(citizen):
    assert answered(citizen.says("居民医保一年交多少，在哪交")) == "城乡居民基本医疗保险参保登记"
    assert answered(citizen.says("那养老的呢")) == "城乡居民基本养老保险参保登记"
    other = Citizen(citizen.url)
    assert answered(other.says("结婚证丢了补办要带什么")) == "补领婚姻登记证"
    assert answered(other.says("离婚证呢")) == "补领婚姻登记证"  # still 补领, not 离婚登记


def test_a_yes_no_question_ending_in_bu_is_a_question_not_a_no(citizen):
    assert answered(citizen.says("持境外驾驶证换国内驾照要什么条件")) == "持境外驾驶证申领机动车驾驶证"
    replies = citizen.says("还要体检不")
    assert answered(replies) == "持境外驾驶证申领机动车驾驶证", texts(replies)
    assert "还有什么可以帮您" not in texts(replies)


def test_a_correction_leaves_the_retracted_item_out_of_the_choice(citizen):
    citizen.says('/ask_process{"service": "medical-reimbursement"}')
    replies = citizen.says("不是报销那个，是医保的其他事")
    assert answered(replies) != "医疗费用手工（零星）报销"
    assert "medical-reimbursement" not in str([b["payload"] for b in buttons_of(replies)])


def test_a_life_event_named_and_done_at_once_is_the_bundle(citizen):
    replies = citizen.says("开公司能不能一次把营业执照和刻章都搞定")
    assert "企业开办" in answered(replies), texts(replies)


def test_a_complaint_about_a_doctor_is_not_feedback_about_the_assistant(citizen):
    reply = texts(citizen.says("看病时医生态度很差，想投诉卫健委"))
    assert "请为本次服务评价" not in reply
    assert "卫生健康" in reply and "12320" in reply


def test_words_of_two_departments_go_to_the_one_the_sentence_is_about(citizen):
    reply = texts(citizen.says("学车的驾校乱收费，教练还要红包，去哪反映"))
    assert "交通运输" in reply and "市场监督管理" not in reply


def test_whether_something_is_lawful_is_not_answered_with_a_guide(citizen):
    reply = texts(citizen.says("花钱找人帮我消驾照的扣分，这样合法吗"))
    assert "不能给您准确的答复" in reply and "公安交管" in reply


@pytest.mark.parametrize(
    "text, department, not_department",
    [
        ("欠心", "人力资源和社会保障", None),  # 欠薪, a homophone: not a 好的 to a "no"
        ("养老今涨了没", "人力资源和社会保障", None),  # 养老金, jin/jing (模糊音)
        ("城乡底保", "民政", "人力资源和社会保障"),  # 低保, not the 城乡居民 insurances
    ],
)
def test_a_department_word_typed_with_a_slip_still_names_the_department(citizen, text, department, not_department):
    reply = texts(citizen.says(text))
    assert department in reply, reply
    assert not_department is None or f"由{not_department}部门" not in reply, reply


@pytest.mark.parametrize("text", ["讲个有意思的事呗", "这个要登记不"])
def test_grammar_that_sounds_like_a_department_word_names_no_department(citizen, text):
    # 的事 sounds like 的士 (出租车, 交通运输), 登记不 like 登记簿 (不动产登记): grammar, not a slip
    reply = texts(citizen.says(text))
    assert "交通运输" not in reply and "不动产登记" not in reply, reply


def test_a_family_word_with_a_matter_its_guides_never_speak_of_names_its_department(citizen):
    # 医保卡 names the family, but nothing of its guides speaks of 冻结: no guide, and whose matter it is
    reply = citizen.says("医保卡里的钱被冻结了")
    assert "还没有这方面的办事指南" in texts(reply) and "医疗保障" in texts(reply), texts(reply)
    assert "住房公积金" not in texts(reply) and [b["title"] for b in buttons_of(reply)] == ["转人工"]
