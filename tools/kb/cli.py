"""`kb`: the staff tool for the knowledge base (make kb ARGS="…", or python -m tools.kb …).

    validate                      every error in every file, with file, line and field
    list | show ID                the catalogue; one item as a citizen would read it
    export --xlsx F | --csv DIR   the items as a workbook for Excel
    import --xlsx F | --csv DIR   check it all, show what would change; --apply writes
    add-alias ID 别名 | add-faq ID --q 问 --a 答
    new ID --name 名称 | publish ID    start an item from the template in drafts/, then put it in service
    history [ID]                  who changed what, when (全程留痕)
    reload                        ask the running servers to re-read the knowledge base now
    inbox [list]                  unanswered questions, grouped by similarity
    inbox alias|faq|example|dismiss N… …   deal with inbox entries; they leave the inbox

Who made a change comes from --by, else $KB_OPERATOR, else the login name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml


from knowledge_base.template import UNFILLED, template_text, unfilled_fields
from knowledge_base.edits import KbError, add_alias, add_faq, operator, print_errors
from tools.kb.inbox import NLU_FILE, run_inbox
from common.kb_reload import reload_servers
from common import settings
from domain_logic import replies  # the same wording the bot uses
from knowledge_base import load_catalogue
from knowledge_base.audit import AuditLog, Change, field_changes
from knowledge_base.source import check_entry, entry_path, kind_of, read_entry, save_entry
from knowledge_base.validation import FileError, parse_file
from knowledge_base.workbook import READERS, from_tables, row_of, to_tables, write_csv, write_xlsx

DRAFTS = "drafts"


def items_on_disk(root: Path) -> Dict[str, Dict[str, Any]]:
    """The item files that load cleanly, as data (a broken file cannot be exported)."""
    broken = {e.file for e in load_catalogue(root).errors}
    return {p.stem: read_entry(p) for p in sorted((root / "items").glob("*.yml")) if str(p) not in broken}


# ---- commands ----------------------------------------------------------
def draft_errors(path: Path, cat) -> List[FileError]:
    """Every problem in a draft, checked as an item; a YAML syntax error is reported, never raised."""
    data, _node, errors = parse_file(path)
    return errors or check_entry(data, "item", str(path), cat)  # check_entry reports a file that is no mapping


def cmd_validate(args) -> int:
    root = args.root
    cat = load_catalogue(root)
    errors = list(cat.errors)
    for path in sorted((root / DRAFTS).glob("*.yml")):  # drafts are checked too, as items
        errors += draft_errors(path, cat)
    files = (
        len(list((root / "items").glob("*.yml")))
        + len(list((root / "bundles").glob("*.yml")))
        + sum((root / name).exists() for name in ("departments.yml", "families.yml"))
    )
    if errors:
        print(f"发现 {len(errors)} 处错误：")
        print_errors(errors)
        return 1
    print(f"全部 {files} 个文件通过校验。")
    return 0


def cmd_list(args) -> int:
    cat = load_catalogue(args.root)
    for entry in sorted(cat.entries(), key=lambda e: e.id):
        kind = "联办" if entry.is_bundle else "事项"
        print(f"{entry.id:<32} {kind}  {entry.name}")
    print(f"共 {len(cat.items)} 个事项、{len(cat.bundles)} 个“一件事”。")
    return 0


def cmd_families(args) -> int:
    """Every family with its question, members and their cues, and the 办理项 we have no guide for."""
    cat = load_catalogue(args.root)
    for family in cat.families.values():
        print(f"【{family.name}】{family.id}（部门：{family.department_id}；泛称：{'、'.join(family.terms)}）")
        print(f"  区分问题：{family.ask}")
        for item in cat.members_of(family.id):
            print(f"  - {item.id:<34} {item.name}    区分词：{'、'.join(item.cues)}")
        for gap in family.uncovered:
            print(f"  × 暂无指南：{gap.name}    区分词：{'、'.join(gap.cues)}")
    return 0


def cmd_departments(args) -> int:
    """The department directory, with the number of items each one handles."""
    cat = load_catalogue(args.root)
    for dept in cat.departments.values():
        count = sum(1 for item in cat.items.values() if item.department_id == dept.id)
        channels = "；".join(c.name for c in dept.channels)
        print(f"{dept.id:<22} {dept.name}（{count} 个事项）  {channels}")
    return 0


def cmd_add_cue(args) -> int:
    """A word that points to this item rather than to its siblings; checked against them before writing."""
    root = args.root
    path = entry_path(root, args.id)
    if path is None or kind_of(path) != "item":
        raise KbError(f"没有编码为 {args.id} 的事项。")
    data = read_entry(path)
    if args.family:
        data["family"] = args.family
    if not data.get("family"):
        raise KbError(f"{args.id} 还不属于任何事项族；请同时用 --family 指定（kb families 可查看）。")
    cues = data.setdefault("cues", [])
    if args.cue in cues:
        print(f"{args.id} 已有区分词“{args.cue}”，未作改动。")
        return 0
    cues.append(args.cue)
    errors = save_entry(root, args.id, data, operator(args), "add-cue")
    if errors:
        print("未保存，发现以下问题：")
        print_errors(errors)
        return 1
    print(f"已为 {args.id} 添加区分词“{args.cue}”。运行中的服务几秒内自动生效。")
    return 0


def cmd_show(args) -> int:
    entry = load_catalogue(args.root).get(args.id)
    if entry is None:
        raise KbError(f"没有编码为 {args.id} 的事项。用 kb list 查看全部。")
    print("\n\n".join(replies.whole_guide(entry)))
    if entry.aliases:
        print(f"\n别名：{'、'.join(entry.aliases)}")
    for f in entry.faq:
        print(f"问：{f.q}\n答：{f.a}")
    return 0


def cmd_export(args) -> int:
    tables = to_tables(items_on_disk(args.root))
    if args.xlsx:
        write_xlsx(tables, Path(args.xlsx))
        print(f"已导出 {len(tables['事项'])} 个事项到 {args.xlsx}")
    else:
        paths = write_csv(tables, Path(args.csv))
        print(f"已导出 {len(tables['事项'])} 个事项到 {', '.join(map(str, paths))}")
    return 0


def cmd_import(args) -> int:
    source = Path(args.xlsx or args.csv)
    if not source.exists():
        raise KbError(f"找不到 {source}")
    tables = READERS["xlsx" if args.xlsx else "csv"](source)
    current = items_on_disk(args.root)
    items, where, errors = from_tables(tables, current, source.name)
    cat = load_catalogue(args.root)
    for entry_id, data in items.items():
        for e in check_entry(data, "item", str(args.root / "items" / f"{entry_id}.yml"), cat):
            sheet, row = row_of(where[entry_id], e.field)
            errors.append(FileError(f"{source.name}[{sheet}]", f"{entry_id}.{e.field}", e.message, row))
    if errors:
        print(f"导入前检查发现 {len(errors)} 处错误，没有写入任何内容：")
        print_errors(errors)
        return 1
    changed = {i: field_changes(current.get(i), d) for i, d in items.items()}
    changed = {i: c for i, c in changed.items() if c}
    if not changed:
        print("没有变化。")
        return 0
    for entry_id, changes in changed.items():
        print(f"{entry_id}{'（新事项）' if entry_id not in current else ''}:")
        for c in changes:
            print(f"  {c.describe()}")
    if not args.apply:
        print(f"\n以上是预览（{len(changed)} 个事项有变化）。确认无误后加 --apply 写入。")
        return 0
    for entry_id in changed:
        problems = save_entry(args.root, entry_id, items[entry_id], operator(args), f"import {source.name}")
        if problems:  # checked above; only a concurrent edit can get here
            print_errors(problems)
            return 1
    print(f"\n已写入 {len(changed)} 个事项。运行中的助手会在几秒内生效。")
    return 0


PROFILES_FILE = settings.KNOWLEDGE_BASE_DIR / "imports" / "profiles.yml"


def cmd_import_catalogue(args) -> int:
    """A region's 事项清单 export: check every record, then plan where each lands (docs/staff-guide.md)."""
    from tqdm import tqdm

    from knowledge_base.imports.check import check_export
    from knowledge_base.imports.decisions import decisions_for
    from knowledge_base.imports.landing import write_import

    if args.profile:
        profiles = yaml.safe_load((PROFILES_FILE).read_text(encoding="utf-8")) or {}
        if args.profile not in profiles:
            raise KbError(f"没有名为 {args.profile} 的部署配置（{PROFILES_FILE}：{'、'.join(profiles)}）")
        profile = profiles[args.profile]
        args.export = args.export or str(PROFILES_FILE.parent / profile["export"])
        args.mapping = profile.get("mapping", args.mapping)
        args.confirmed = args.confirmed or str(PROFILES_FILE.parent / profile["confirmed"])
        args.out = str(import_folder(args))
    if not args.export:
        raise KbError("请给出事项清单导出文件，或用 --profile 选择部署配置")
    export = Path(args.export)
    out = import_folder(args)
    decisions = decisions_for(out, Path(args.confirmed) if args.confirmed else None)
    checked = check_export(export, args.mapping, load_catalogue(args.root), decisions)
    if checked.problem:
        raise KbError(checked.problem)
    if checked.errors:
        print(f"导入前检查发现 {len(checked.errors)} 处错误，没有导入任何内容：")
        for e in checked.errors[:200]:
            print(f"  {e}")
        if len(checked.errors) > 200:
            print(f"  ……另有 {len(checked.errors) - 200} 处")
        return 1
    plan, records, mapping = checked.plan, checked.records, checked.mapping
    assert plan is not None and mapping is not None  # importable: checked above
    print(f"{export.name}：{len(records)} 条记录全部通过检查。{plan.summary()}。")
    for pair in plan.uncertain:
        print(
            f"  待确认：{pair.record.name}（{pair.record.department}，{pair.record.code}）≈ {pair.entry_id}：{pair.why}"
        )
    if args.dry_run:
        print("以上是预览，没有写入。")
        return 0
    bar = tqdm(plan.imported, desc="写入导入事项", unit="条", disable=None)
    audit_id, landed = write_import(
        plan, out, mapping.source, export.name, operator(args), progress=bar, mapping=args.mapping
    )
    print(f"已导入到 {out}（导入编号 {audit_id}）：{landed.summary()}。")
    if landed.conflicts:
        print(
            f"有 {len(landed.conflicts)} 条记录工作人员改过、新导出也改了：仍用工作人员的版本，"
            "请另一位工作人员复核（kb import-conflicts）。"
        )
    return 0


def import_folder(args) -> Path:
    """The folder of a region's import: --out, else var/imports/<--profile>, else the one in service."""
    if getattr(args, "out", None):
        return Path(args.out)
    if getattr(args, "profile", None):
        return settings.ROOT / "var" / "imports" / args.profile
    return settings.kb_imports_dir()


def cmd_import_conflicts(args) -> int:
    """The review queue of an import; with CODE and --keep, one decision (not by the importer)."""
    from knowledge_base.imports.review import ReviewRefused, open_conflicts, resolve

    folder = import_folder(args)
    if args.code:
        if not args.keep:
            raise KbError("请用 --keep staff（保留工作人员的修改）或 --keep export（采用新导出的版本）")
        try:
            print(resolve(folder, args.code, args.keep, operator(args)))
        except ReviewRefused as refused:
            raise KbError(str(refused)) from refused
        return 0
    conflicts = open_conflicts(folder)
    if not conflicts:
        print("复核队列是空的。")
    for c in conflicts:
        name = c.export.get("name") or c.staff.get("name")
        fields = "、".join(c.changed_fields())
        print(f"{c.code}  {name}（导入 {c.import_id}，导入人 {c.imported_by}）不同的字段：{fields}")
        for f in c.changed_fields():
            print(f"    {f}：工作人员 {c.staff.get(f)!r} ｜ 新导出 {c.export.get(f)!r}")
    return 0


def cmd_erase_import(args) -> int:
    """Undo one import by its audit id (imports.jsonl)."""
    from knowledge_base.imports.erase import erase_import
    from knowledge_base.imports.review import ReviewRefused

    try:
        erased = erase_import(import_folder(args), args.id, operator(args), include_edited=args.include_edited)
    except ReviewRefused as refused:
        raise KbError(str(refused)) from refused
    print(f"已撤销导入 {args.id}：{erased.summary()}。运行中的助手会在几秒内生效。")
    return 0


def cmd_add_alias(args) -> int:
    return add_alias(args, args.id, args.alias)


def cmd_add_faq(args) -> int:
    return add_faq(args, args.id, args.q, args.a)


def cmd_new(args) -> int:
    if entry_path(args.root, args.id):
        raise KbError(f"{args.id} 已经存在。")
    draft = args.root / DRAFTS / f"{args.id}.yml"
    if draft.exists():
        raise KbError(f"草稿 {draft} 已经存在，请直接编辑。")
    draft.parent.mkdir(parents=True, exist_ok=True)
    draft.write_text(template_text(args.id, args.name), encoding="utf-8")
    AuditLog(args.root).record(args.id, operator(args), "new (draft)", [])
    print(f"已从模板创建草稿 {draft}。\n把其中标“（待填写）”的内容换成办事指南的内容，然后运行 kb publish {args.id}。")
    return 0


def cmd_publish(args) -> int:
    draft = args.root / DRAFTS / f"{args.id}.yml"
    if not draft.exists():
        raise KbError(f"没有草稿 {draft}。先运行 kb new {args.id} --name 名称。")
    data, _node, errors = parse_file(draft)
    unfilled = [] if errors else unfilled_fields(data)
    if unfilled:
        raise KbError(f"草稿里还有“{UNFILLED}”的内容，请先填写完整：{'、'.join(unfilled)}。")
    errors = errors or save_entry(args.root, args.id, data, operator(args), "publish", kind="item")
    if errors:
        print("没有发布，因为：")
        print_errors(errors)
        return 1
    draft.unlink()
    print(f"{args.id} 已发布，运行中的助手会在几秒内生效。")
    return 0


def cmd_history(args) -> int:
    records = AuditLog(args.root).history(args.id)
    if not records:
        print("没有修改记录。")
        return 0
    for r in records:
        print(f"{r['at']}  {r['operator']}  {r['entry']}  {r['action']}")
        for c in r["changes"]:
            print(f"    {Change(c['field'], c['before'], c['after']).describe()}")
    return 0


def cmd_reload(args) -> int:
    failed = 0
    for result in reload_servers(args.rasa_url, args.actions_url):
        print(f"{'✓' if result.ok else '✗'} {result.name}：{result.message}")
        if not result.ok or result.errors:
            failed += 1
        if result.errors:
            print("  以下文件有错误，仍使用其上一个正确版本：")
            for e in result.errors:
                print(f"  ✗ {e}")
    return 1 if failed else 0


def cmd_nlu_data(args) -> int:
    from tools.kb.nlu_data import write_generated

    cat = load_catalogue(args.root)
    if cat.errors:
        print_errors(cat.errors)
    write_generated(cat, Path(args.out))
    print(f"已生成 {args.out}")
    return 0


def cmd_inbox(args) -> int:
    return run_inbox(args)


# ---- the command line --------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", type=Path, default=settings.kb_dir(), help="知识库目录（默认 $KB_DIR 或 knowledge_base/）"
    )
    common.add_argument("--by", help="操作人（默认 $KB_OPERATOR 或登录名）")
    parser = argparse.ArgumentParser(
        prog="kb", description="知识库维护工具", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, run) -> argparse.ArgumentParser:
        """A sub-command; every one takes --root and --by."""
        p = sub.add_parser(name, help=help_text, parents=[common])
        p.set_defaults(run=run)
        return p

    command("validate", "校验全部文件", cmd_validate)
    command("list", "列出全部事项", cmd_list)
    command("families", "列出事项族、成员和区分词", cmd_families)
    command("departments", "列出部门目录", cmd_departments)
    p = command("add-cue", "为事项添加区分词（可同时加入事项族）", cmd_add_cue)
    p.add_argument("id")
    p.add_argument("cue")
    p.add_argument("--family", help="把事项加入这个事项族（families.yml 的编码）")
    p = command("show", "按群众看到的样子显示一个事项", cmd_show)
    p.add_argument("id")
    for name, run, help_text in (
        ("export", cmd_export, "导出为 Excel 或 CSV"),
        ("import", cmd_import, "从 Excel 或 CSV 导入（默认只预览）"),
    ):
        p = command(name, help_text, run)
        fmt = p.add_mutually_exclusive_group(required=True)
        fmt.add_argument("--xlsx", help="Excel 文件")
        fmt.add_argument("--csv", help="CSV 文件夹（每张表一个 .csv）")
        if name == "import":
            p.add_argument("--apply", action="store_true", help="确认写入")
            p.add_argument("--dry-run", action="store_true", help="只预览（默认）")
    p = command("import-catalogue", "导入本地区公布的事项清单（JSON Lines 或 Excel）", cmd_import_catalogue)
    p.add_argument("export", nargs="?", help="事项清单导出文件（.jsonl 或 .xlsx）")
    p.add_argument("--profile", help="部署配置（knowledge_base/imports/profiles.yml，如 guangdong）")
    p.add_argument(
        "--mapping", default="gdzwfw", help="字段映射（knowledge_base/imports/mappings/ 下的名称，或文件路径）"
    )
    p.add_argument("--confirmed", help="工作人员已确认的对应关系（实施编码: 事项编码 或 null）")
    p.add_argument("--out", help="写到哪个目录（默认 var/imports/<部署配置> 或 var/imports/catalogue）")
    p.add_argument("--dry-run", action="store_true", help="只检查和预览")
    p = command("import-conflicts", "导入冲突的复核队列；给出实施编码和 --keep 即作出决定", cmd_import_conflicts)
    p.add_argument("code", nargs="?", help="要决定的记录的实施编码")
    p.add_argument("--keep", choices=("staff", "export"), help="staff：保留工作人员的修改；export：采用新导出的版本")
    p.add_argument("--profile", help="部署配置（如 guangdong）")
    p.add_argument("--out", help="导入目录（默认按 --profile 或 KB_PROFILE）")
    p = command("erase-import", "按导入编号撤销一次导入（见 imports.jsonl）", cmd_erase_import)
    p.add_argument("id", help="导入编号，如 imp-20261207120000-abc123")
    p.add_argument("--profile", help="部署配置（如 guangdong）")
    p.add_argument("--out", help="导入目录（默认按 --profile 或 KB_PROFILE）")
    p.add_argument("--include-edited", action="store_true", help="连工作人员手工改过的文件一起删除")
    p = command("add-alias", "添加别名", cmd_add_alias)
    p.add_argument("id")
    p.add_argument("alias")
    p = command("add-faq", "添加常见问题", cmd_add_faq)
    p.add_argument("id")
    p.add_argument("--q", required=True)
    p.add_argument("--a", required=True)
    p = command("new", "从模板新建事项草稿", cmd_new)
    p.add_argument("id")
    p.add_argument("--name", required=True)
    p = command("publish", "发布草稿", cmd_publish)
    p.add_argument("id")
    p = command("history", "修改记录", cmd_history)
    p.add_argument("id", nargs="?")
    p = command("reload", "让运行中的服务立即重新加载", cmd_reload)
    p.add_argument("--rasa-url", default=settings.rasa_url())
    p.add_argument("--actions-url", default=settings.actions_url())
    p = command("nlu-data", "由知识库生成训练数据（make train 调用）", cmd_nlu_data)
    p.add_argument("--out", default=str(settings.ROOT / "nlu_data" / "generated"), help="输出目录")
    p = command("inbox", "未能回答的问题", cmd_inbox)
    p.add_argument("action", nargs="?", default="list", choices=["list", "alias", "faq", "example", "dismiss"])
    p.add_argument("entries", nargs="*", help="条目编号（kb inbox list 中的 #）")
    p.add_argument("--item", help="alias/faq：归到哪个事项")
    p.add_argument("--text", help="alias：别名（默认用问题原文）；faq：问题（默认用问题原文）")
    p.add_argument("--answer", help="faq：回答")
    p.add_argument("--intent", help="example：训练意图，如 ask_fee")
    p.add_argument("--nlu-file", type=Path, default=NLU_FILE, help="example：写到哪个训练数据文件")
    p.add_argument("--db", help="数据库 URL（默认 $DATABASE_URL 或 var/zhengwu.db）")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KbError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
