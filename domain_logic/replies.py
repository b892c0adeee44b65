"""Answers built from a service guide, worded for reading on a phone.

Each function takes one catalogue entry (an item or a life-event bundle) and
returns plain text; channels decide how to dress it up.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Optional, Tuple

from knowledge_base import Bundle, Channel, Department, Material, ServiceItem
from knowledge_base.catalogue import Entry


def numbered(lines: Iterable[str]) -> str:
    """1. … / 2. …: how every list reads on a phone."""
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def material_line(m: Material) -> str:
    """居民身份证（原件，现场核验） / 授权委托书（原件 1份）〔视情况：委托他人代办时〕"""
    if m.copies == 0:
        how = f"{m.form}，现场核验"
    else:
        how = f"{m.form} {m.copies}份"
    if m.medium == "电子":
        how += "，电子版"
    line = f"{m.name}（{how}）"
    if m.required == "视情况":
        line += f"〔视情况：{m.condition}〕"
    elif m.required == "容缺":
        line += "〔可容缺后补〕"
    return line


def _trips_text(trips: int) -> str:
    return "全程网办，无需到现场" if trips == 0 else f"最多跑 {trips} 次"


def channels(entry: Entry) -> str:
    """How to look it up or get help, online first: the heart of a look-up's answer."""
    return _channel_list(entry.channels)


def _channel_list(items: Iterable[Channel]) -> str:
    return numbered(f"{c.name}：{c.how}" for c in items)


def _channels_section(entry: Entry, heading: str = "可以通过以下渠道办理：") -> str:
    """The entry's channels under a heading, on a new line; nothing when it has none."""
    return f"\n{heading}\n{channels(entry)}" if entry.channels else ""


def local_note(entry: Entry) -> str:
    """以当地政务服务中心公布为准, and when staff last checked this guide (if they have)."""
    if entry.reviewed_on:
        return f"{entry.local_note}（本指南于 {entry.reviewed_on} 复核）"
    return entry.local_note


def materials(entry: Entry) -> str:
    if isinstance(entry, ServiceItem) and not entry.preparable:
        bring = "、".join(material_line(m) for m in entry.materials)
        head = f"「{entry.name}」不需要提交申请材料。" + (f"查询或现场办理时请带：{bring}。" if bring else "")
        return f"{head}{_channels_section(entry)}\n{local_note(entry)}"
    if isinstance(entry, Bundle):
        lines = []
        names = {item.id: item.name for item in entry.members}
        for bm in entry.materials:
            used = "、".join(names[i] for i in bm.needed_for)
            lines.append(f"{material_line(bm.material)}（用于：{used}）")
        body = numbered(lines)
        extra = ""
        if entry.extra_steps:
            extra = "\n另需办理：" + "；".join(f"{s.name}（{s.where}）" for s in entry.extra_steps)
        return (
            f"「{entry.name}」合并后的材料清单（相同材料只需准备一份）：\n{body}{extra}\n"
            f"标〔视情况〕的只在相应情形下需要。{local_note(entry)}"
        )
    body = numbered(material_line(m) for m in entry.materials)
    note = "标〔视情况〕的只在相应情形下需要。" if any(m.is_conditional for m in entry.materials) else ""
    return f"办理「{entry.name}」需要准备：\n{body}\n{note}{local_note(entry)}"


def process(entry: Entry) -> str:
    return f"「{entry.name}」办理流程：\n{numbered(entry.process)}\n{_trips_text(entry.trips)}。"


def conditions(entry: Entry) -> str:
    if isinstance(entry, Bundle):
        parts = [f"【{item.name}】" + "；".join(item.conditions) for item in entry.members]
        return f"「{entry.name}」各事项的受理条件：\n" + "\n".join(parts)
    return f"「{entry.name}」受理条件：\n{numbered(entry.conditions)}"


def time_limit(entry: Entry) -> str:
    if isinstance(entry, Bundle):
        lines = [f"{item.name}：承诺 {item.promised_time_limit}" for item in entry.members]
        head = f"联办时限：{entry.time_limit}\n" if entry.time_limit else ""
        return f"「{entry.name}」\n{head}" + "\n".join(lines)
    return (
        f"「{entry.name}」法定办结时限：{entry.legal_time_limit}；承诺办结时限：{entry.promised_time_limit}。"
        f"{_local_source(entry)}"
    )


def fee(entry: Entry) -> str:
    if entry.free:
        return f"「{entry.name}」不收费。"
    lines = [f"{f.name}：{f.standard}（依据：{f.basis}）" for f in entry.fees]
    notes = f"\n{entry.fee_notes}" if isinstance(entry, ServiceItem) and entry.fee_notes else ""
    return f"「{entry.name}」收费标准：\n" + "\n".join(lines) + notes


def _local_source(entry: Entry) -> str:
    """Whose published facts a place or phone is, when a region's record gave it."""
    source = getattr(entry, "local_source", None)
    return f"\n注：{source}。" if source else ""


def location(entry: Entry) -> str:
    return f"「{entry.name}」办理地点：{entry.place}\n办公时间：{entry.hours}{_local_source(entry)}"


def hours(entry: Entry) -> str:
    return f"「{entry.name}」办公时间：{entry.hours}"


def online(entry: Entry) -> str:
    if entry.online:
        text = f"「{entry.name}」可以网上办理，入口：{entry.online_entry}。"
    else:
        text = f"「{entry.name}」暂不能全程网办。"
        if entry.online_entry:
            text += f"可通过 {entry.online_entry} 预约或查询。"
    if entry.online_notes:
        text += entry.online_notes + "。" if not entry.online_notes.endswith("。") else entry.online_notes
    text += f"\n到现场次数：{_trips_text(entry.trips)}。"
    if isinstance(entry, ServiceItem):
        text += f"结果领取：{'、'.join(entry.delivery)}。"
    return text


def contact(entry: Entry) -> str:
    return f"「{entry.name}」咨询电话：{entry.contact}{_local_source(entry)}"


def overview(entry: Entry) -> str:
    """What a citizen needs to decide what to ask next; a look-up leads with where to look."""
    if isinstance(entry, ServiceItem) and entry.is_lookup:
        bring = "、".join(m.name for m in entry.materials)
        return (
            f"「{entry.name}」可以通过以下渠道查询：\n{channels(entry)}\n"
            + (f"到窗口或自助终端查询请带：{bring}。\n" if bring else "")
            + f"{entry.summary}\n{local_note(entry)}"
        )
    if isinstance(entry, ServiceItem) and not entry.materials:
        return f"「{entry.name}」：{entry.summary}{_channels_section(entry)}\n{local_note(entry)}"
    if isinstance(entry, Bundle):
        members = numbered(item.name for item in entry.members)
        return (
            f"「{entry.name}」：{entry.summary}\n一次申请可联办：\n{members}\n"
            f"整件事{_trips_text(entry.trips)}。\n\n{materials(entry)}"
        )
    return (
        f"「{entry.name}」：{entry.summary}\n实施部门：{entry.department}\n"
        f"需准备 {len(entry.materials)} 项材料，承诺 {entry.promised_time_limit} 办结，"
        f"{_trips_text(entry.trips)}{'，可网上办理' if entry.online else ''}。{_channels_section(entry, '办理渠道：')}"
    )


def whole_guide(entry: Entry) -> List[str]:
    """Every part of the guide as the bot words it, in the order staff read it (`kb show`, the console's preview)."""
    return [
        overview(entry),
        materials(entry),
        process(entry),
        conditions(entry),
        time_limit(entry),
        fee(entry),
        location(entry),
        hours(entry),
        online(entry),
        contact(entry),
    ]


# The one list of what a citizen can ask about a service: each intent and the answer composed
# for it. Every other list of these intents is derived from it (the generated rules, the NLU's
# service intents) or checked against it (domain.yml, tests/domain_logic/test_question_intents.py).
ANSWERS: Dict[str, Callable[[Entry], str]] = {
    "ask_materials": materials,
    "ask_process": process,
    "ask_conditions": conditions,
    "ask_time_limit": time_limit,
    "ask_fee": fee,
    "ask_location": location,
    "ask_hours": hours,
    "ask_online": online,
    "ask_contact": contact,
    "inquire_service": overview,
}
# The questions about one aspect of a service (inquire_service names the service only).
ASPECT_QUESTIONS: Tuple[str, ...] = tuple(intent for intent in ANSWERS if intent.startswith("ask_"))


def no_guide(matter: Optional[str], department: Optional[Department]) -> str:
    """The honest answer for a matter without a guide: say so, and who can help, never a sibling's guide."""
    what = f"「{matter}」的办事指南" if matter else "这方面的办事指南"
    text = f"抱歉，我这里还没有{what}，不能给您准确的材料清单，以免您白跑一趟。"
    if department is None:
        return text + "\n您可以拨打 12345 政务服务便民热线咨询，或到当地政务服务中心咨询台问询。"
    return (
        f"{text}\n{_department_channels(department)}\n"
        "也可以拨打 12345 政务服务便民热线。具体以当地政务服务中心公布为准。"
    )


def _department_channels(department: Department) -> str:
    return (
        f"这类事项由{department.name}部门办理（{department.handles}）。您可以：\n{_channel_list(department.channels)}"
    )


def not_sure(department: Optional[Department]) -> str:
    """The sentence only resembles some entries: offer them, never answer as if it named one."""
    text = "我不太确定您问的是哪一项。您是想了解以下哪项？"
    if department is not None:
        text += f"\n如果都不是：{_department_channels(department)}\n也可以拨打 12345 政务服务便民热线。"
    return text


def policy_question(entry: Entry, department: Optional[Department]) -> str:
    """An amount, rate or age of local policy: the guide has no figure, and a guessed one would mislead."""
    text = (
        "您问的是当地的政策规定（金额、比例、年限、报销范围或是否合规等），各地不同、常有调整，"
        "我这里没有这方面的办事指南，不能给您准确的答复。"
    )
    if department is not None:
        text += f"\n{_department_channels(department)}"
    return text + f"\n如需办理「{entry.name}」，可以点下面的按钮查看办事指南。具体以当地政务服务中心公布为准。"


def which_of(department: Optional[Department]) -> str:
    """One short question over two or three items of a family (their names say how they differ)."""
    return f"请问您要办的是下面哪一项？请选择一项：{where_else(department)}"


# Under an answer given with alternatives one tap away.
NOT_THIS = "不是这个？您可能要办："


def several_options(department: Optional[Department]) -> str:
    """An ambiguous name: the options, and where to ask if none fits."""
    return f"您说的可能是以下几项，请选择一项：{where_else(department)}"


def where_else(department: Optional[Department]) -> str:
    """One line for a question back: whom to ask if none of the options fits (nothing if unknown)."""
    if department is None or not department.channels:
        return ""
    return f"\n如果都不是，可以咨询{department.name}：{department.channels[0].name}。"


NEXT_STEPS: List[tuple] = [
    ("需要什么材料", "ask_materials"),
    ("办理流程", "ask_process"),
    ("办理地点", "ask_location"),
    ("开始准备材料", "start_checklist"),
    ("评价本次服务", "give_feedback"),
]
