"""Answers from a region's imported record: what the record holds, and no more.

A record of the 事项清单 names its materials, time limits, fee, place and phones, but not the form and
number of each material, nor the steps. An answer that filled those in would be a guess presented as
the guide; so each answer gives what the record says, says plainly what it does not, and points to
the official guide (the record's link) and the department's phone. Same intents as `replies.ANSWERS`.
"""

from __future__ import annotations

from typing import Callable, Dict

from domain_logic import replies
from domain_logic.replies import numbered
from knowledge_base.imported import ImportedItem
from knowledge_base.local_facts import NO_WINDOW

MAX_CONDITIONS_CHARS = 300
NO_CHECKLIST = (
    "这项是按本地区事项清单导入的，清单只列出材料名称，没有写原件、复印件和份数，"
    "所以我不能陪您逐项准备。下面是清单中的材料，请对照官方办事指南准备："
)


def source_note(record: ImportedItem) -> str:
    """Whose record it is, and that the local guide prevails."""
    return (
        f"（以上摘自{record.source}公布的事项清单：{record.department}，事项编码 {record.id}。"
        "这里只有清单中的记录，没有逐项准备清单；以当地政务服务中心公布为准。）"
    )


def _where_to_read(record: ImportedItem) -> str:
    """The official guide and the phone: where the rest of the facts are."""
    parts = []
    if record.online_link:
        parts.append(f"官方办事指南：{record.online_link}")
    if record.consult_phone:
        parts.append(f"咨询电话：{record.consult_phone}（{record.department}）")
    else:
        parts.append("咨询电话：12345 政务服务便民热线")
    return "\n".join(parts)


def _with_note(record: ImportedItem, text: str) -> str:
    return f"{text}\n{source_note(record)}"


def overview(record: ImportedItem) -> str:
    lines = [f"「{record.name}」由{record.department}办理" + (f"（{record.kind}）。" if record.kind else "。")]
    if record.materials:
        lines.append(f"清单列出 {len(record.materials)} 项申请材料，可以问我“要带什么材料”。")
    limits = _limits(record)
    if limits:
        lines.append(limits)
    if record.place and record.place != NO_WINDOW:
        lines.append(f"办理地点：{record.place}")
    lines.append(_where_to_read(record))
    return _with_note(record, "\n".join(lines))


def materials(record: ImportedItem) -> str:
    if not record.materials:
        text = f"「{record.name}」的清单记录中没有列出申请材料。"
    else:
        text = (
            f"「{record.name}」清单记录中列出的申请材料：\n{numbered(record.materials)}\n"
            "原件还是复印件、要几份，记录中没有写，请以官方办事指南为准。"
        )
    return _with_note(record, f"{text}\n{_where_to_read(record)}")


def process(record: ImportedItem) -> str:
    """怎么办 asks the steps, which no record gives: say so, then what the record does hold."""
    return f"「{record.name}」的清单记录中没有写办理步骤，下面是记录中有的内容。\n" + overview(record)


def conditions(record: ImportedItem) -> str:
    if record.conditions:
        said = record.conditions
        if len(said) > MAX_CONDITIONS_CHARS:
            said = said[:MAX_CONDITIONS_CHARS] + "……（全文见官方办事指南）"
        text = f"「{record.name}」清单记录中的受理条件：\n{said}"
    else:
        text = f"「{record.name}」的清单记录中没有写受理条件。"
    return _with_note(record, f"{text}\n{_where_to_read(record)}")


def _limits(record: ImportedItem) -> str:
    said = []
    if record.legal_time_limit:
        said.append(f"法定办结时限：{record.legal_time_limit}")
    if record.promised_time_limit:
        said.append(f"承诺办结时限：{record.promised_time_limit}")
    return "；".join(said) + "。" if said else ""


def time_limit(record: ImportedItem) -> str:
    limits = _limits(record)
    text = f"「{record.name}」{limits}" if limits else f"「{record.name}」的清单记录中没有写办结时限。"
    return _with_note(record, f"{text}\n{_where_to_read(record)}")


def fee(record: ImportedItem) -> str:
    if record.fees:
        text = f"「{record.name}」收费：{record.fees}"
    else:
        text = f"「{record.name}」的清单记录中没有写收费信息（没有写不等于不收费）。"
    return _with_note(record, f"{text}\n{_where_to_read(record)}")


def location(record: ImportedItem) -> str:
    if record.place == NO_WINDOW:
        text = f"「{record.name}」没有线下办理窗口，请在网上办理。"
    elif record.place:
        text = f"「{record.name}」办理地点：{record.department}：{record.place}"
    else:
        text = f"「{record.name}」的清单记录中没有写办理地点。"
    return _with_note(record, f"{text}\n{_where_to_read(record)}")


def hours(record: ImportedItem) -> str:
    text = f"「{record.name}」的清单记录中没有写办公时间，去之前请先打电话确认。"
    return _with_note(record, f"{text}\n{_where_to_read(record)}")


def online(record: ImportedItem) -> str:
    if record.online_link:
        text = f"「{record.name}」的网上办理入口：{record.online_link}"
    else:
        text = f"「{record.name}」的清单记录中没有网上办理入口。"
    return _with_note(record, text)


def contact(record: ImportedItem) -> str:
    if record.consult_phone:
        text = f"「{record.name}」咨询电话：{record.consult_phone}（{record.department}）"
        if record.complaint_phone:
            text += f"；投诉电话：{record.complaint_phone}"
    else:
        text = f"「{record.name}」的清单记录中没有写电话，可以拨打 12345 政务服务便民热线。"
    return _with_note(record, text)


# The same questions as `replies.ANSWERS` (the one list of what a citizen can ask), each answered by this
# module's function of the same name, from the record.
ANSWERS: Dict[str, Callable[[ImportedItem], str]] = {
    intent: globals()[answer.__name__] for intent, answer in replies.ANSWERS.items()
}
# Next steps a record can answer: no checklist, since the record says nothing of forms and copies.
NEXT_STEPS = (
    ("需要什么材料", "ask_materials"),
    ("办理地点", "ask_location"),
    ("咨询电话", "ask_contact"),
    ("评价本次服务", "give_feedback"),
)
