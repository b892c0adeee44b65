"""The 一次性告知单: everything to bring, what is missing and where to get it.

Built once as data (`Sheet`), then rendered three ways: plain text for any
channel, HTML-formatted text for Telegram, and a printable page for the kiosk.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Tuple, Union

from domain_logic.checklist.plan import MISSING, READY, UNSURE, Progress, materials_for, members
from common.privacy import mask_personal_data
from domain_logic.replies import local_note, material_line
from knowledge_base import Bundle, ServiceItem

Entry = Union[ServiceItem, Bundle]
# A mark carries its word, so that nothing is told by colour or symbol alone (适老化).
MARKS = {READY: "✓ 已备好", MISSING: "✗ 还缺", UNSURE: "？ 待确认"}
TO_PREPARE = "□ 待准备"  # a guide's sheet, before anything is checked
_ONLINE_SOURCE = re.compile(r"网上|线上|App|APP|小程序|政务服务网|平台|在线")


@dataclass(frozen=True)
class Line:
    mark: str  # ✓ 已备好 / ✗ 还缺 / ？ 待确认 / □ 待准备
    text: str  # 居民身份证（原件，现场核验）
    how_to_get: str  # for a missing or unsure material, else ""
    online_first: bool  # can be obtained online before the trip

    @property
    def ready(self) -> bool:
        return self.mark == MARKS[READY]


@dataclass(frozen=True)
class Sheet:
    title: str
    groups: Tuple[Tuple[str, Tuple[Line, ...]], ...]  # (window / member item, lines)
    facts: Tuple[Tuple[str, str], ...]  # (label, value): place, hours, fees, …
    missing: Tuple[str, ...]
    unsure: Tuple[str, ...]
    local_note: str
    checked: bool = True  # False: a guide's materials, nothing asked yet

    @property
    def verdict(self) -> str:
        if not self.checked:
            return (
                "尚未逐项核对：以上是可能需要的全部材料，标〔视情况〕的只在相应情形下需要。"
                "在自助屏或公众号里选「开始准备材料」，可逐项核对。"
            )
        if self.missing:
            return f"还缺 {len(self.missing)} 项：{'、'.join(self.missing)}。备齐后再去，可一次办结。"
        if self.unsure:
            return f"有 {len(self.unsure)} 项待确认：{'、'.join(self.unsure)}。确认后即可前往。"
        return "材料齐全，可一次办结。"


def _fees(entry: Entry) -> str:
    if entry.free:
        return "不收费"
    return "；".join(f"{f.name} {f.standard}" for f in entry.fees)


def _facts(entry: Entry) -> Tuple[Tuple[str, str], ...]:
    facts = [("办理地点", entry.place), ("办公时间", entry.hours), ("收费", _fees(entry))]
    if isinstance(entry, ServiceItem):
        facts.append(("承诺办结时限", entry.promised_time_limit))
    elif entry.time_limit:
        facts.append(("联办时限", entry.time_limit))
    trips = "全程网办，不用跑" if entry.trips == 0 else f"最多跑 {entry.trips} 次"
    online = f"可网上办理（{entry.online_entry}）" if entry.online else "需到现场办理"
    facts.append(("网上办理", f"{online}；{trips}"))
    return tuple(facts)


def build_guide_sheet(entry: Entry) -> Sheet:
    """A guide to take away before anything is checked (扫码带走 on any guide): every material, to prepare."""
    needed = materials_for(entry, {})  # an unanswered question keeps its materials listed
    names = {item.id: item.name for item in members(entry)}
    groups: dict = {item.id: [] for item in members(entry)}
    for bm in needed:
        groups[bm.needed_for[0]].append(Line(TO_PREPARE, material_line(bm.material), bm.material.source, False))
    ordered = tuple((names[i], tuple(lines)) for i, lines in groups.items() if lines)
    return Sheet(f"办事指南：{entry.name}", ordered, _facts(entry), (), (), local_note(entry), checked=False)


def build_sheet(entry: Entry, progress: Progress) -> Sheet:
    needed = materials_for(entry, progress.answers)
    names = {item.id: item.name for item in members(entry)}
    groups: dict = {item.id: [] for item in members(entry)}
    missing, unsure = [], []
    for bm in needed:
        status = progress.statuses.get(bm.material.name, UNSURE)
        text = material_line(bm.material)
        if len(bm.needed_for) > 1 and isinstance(entry, Bundle):
            text += f"（同一份也用于：{'、'.join(names[i] for i in bm.needed_for[1:])}）"
        get = "" if status == READY else bm.material.source
        groups[bm.needed_for[0]].append(Line(MARKS[status], text, get, bool(get and _ONLINE_SOURCE.search(get))))
        if status == MISSING:
            missing.append(bm.material.name)
        elif status == UNSURE:
            unsure.append(bm.material.name)
    ordered = tuple((names[i], tuple(lines)) for i, lines in groups.items() if lines)
    return Sheet(
        f"一次性告知单：{entry.name}", ordered, _facts(entry), tuple(missing), tuple(unsure), local_note(entry)
    )


@dataclass(frozen=True)
class _Markup:
    """How one chat rendering dresses the same lines."""

    title: Callable[[str], str]
    heading: Callable[[str], str]
    bold: Callable[[str], str]
    italic: Callable[[str], str]
    escape: Callable[[str], str]


_PLAIN = _Markup(lambda t: f"【{t}】", lambda w: f"▍{w} 窗口", str, str, str)
_TELEGRAM = _Markup(
    lambda t: f"<b>{html.escape(t)}</b>",
    lambda w: f"<b>{html.escape(w)} 窗口</b>",
    lambda t: f"<b>{t}</b>",
    lambda t: f"<i>{t}</i>",
    html.escape,
)


def _chat_text(sheet: Sheet, m: _Markup) -> str:
    e = m.escape
    out = [m.title(sheet.title)]
    for window, lines in sheet.groups:
        if len(sheet.groups) > 1:
            out.append("\n" + m.heading(window))
        for line in lines:
            out.append(f"{line.mark}：{e(line.text)}")
            if line.how_to_get:
                hint = "（可先网上办理）" if line.online_first else ""
                out.append("    " + m.italic(f"获取：{e(line.how_to_get)}{hint}"))
    out.append("")
    out.extend(f"{m.bold(e(label))}：{e(value)}" for label, value in sheet.facts)
    out.append("\n" + m.bold(f"结论：{e(sheet.verdict)}"))
    out.append(e(sheet.local_note))
    return mask_personal_data("\n".join(out))


def to_text(sheet: Sheet) -> str:
    """Plain text for any channel."""
    return _chat_text(sheet, _PLAIN)


def to_telegram_html(sheet: Sheet) -> str:
    """Telegram's HTML parse mode: only <b>/<i> tags, everything else escaped."""
    return _chat_text(sheet, _TELEGRAM)


def to_html_page(sheet: Sheet) -> str:
    """A self-contained page to print at the kiosk (no external assets)."""
    e = html.escape
    rows = []
    for window, lines in sheet.groups:
        rows.append(f"<h2>{e(window)}</h2><ul>")
        for line in lines:
            get = f'<div class="get">获取：{e(line.how_to_get)}</div>' if line.how_to_get else ""
            rows.append(
                f'<li class="{"ok" if line.ready else "todo"}">'
                f'<span class="mark">{e(line.mark)}</span>：{e(line.text)}{get}</li>'
            )
        rows.append("</ul>")
    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in sheet.facts)
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(sheet.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; font-size: 16pt; margin: 2em; }}
body {{ line-height: 1.6; }} h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; }}
li {{ margin: .4em 0; list-style: none; }} .mark {{ font-weight: bold; }}
li.todo .mark {{ color: #b00020; }} .get {{ font-size: 12pt; color: #444; margin-left: 1.6em; }}
th {{ text-align: left; padding-right: 1em; vertical-align: top; }}
.verdict {{ font-weight: bold; border: 2px solid #000; padding: .5em; }}
@media screen and (max-width: 600px) {{ body {{ margin: 1em; }} }}
@media print {{ body {{ margin: 0; font-size: 12pt; }} button {{ display: none; }} }}
</style></head><body>
<h1>{e(sheet.title)}</h1>
{"".join(rows)}
<table>{facts}</table>
<p class="verdict">结论：{e(sheet.verdict)}</p>
<p>{e(sheet.local_note)}</p>
</body></html>"""
    return mask_personal_data(page)
