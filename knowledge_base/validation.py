"""Schema validation of knowledge-base files, with errors a staff member can act on.

Each error names the file, the line and the field, and says what is wrong in
Chinese, so that `kb validate` and the loader report the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

import jsonschema
import yaml

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


@dataclass(frozen=True)
class FileError:
    """One problem in one knowledge-base file."""

    file: str
    field: str
    message: str
    line: Optional[int] = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = self.field or "（整个文件）"
        return f"{where}: 字段 {field}: {self.message}"


@lru_cache(maxsize=None)
def _validator(kind: str) -> jsonschema.Draft7Validator:
    schema = yaml.safe_load((SCHEMA_DIR / f"{kind}.schema.yml").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


PathPart = Union[str, int]


def _line_of(node: Optional[yaml.Node], path: Sequence[PathPart]) -> Optional[int]:
    """Line (1-based) of the YAML node at `path`, or of the deepest parent found."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _explain(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema message into a short Chinese explanation."""
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"缺少必填字段 {missing}"
    if v == "additionalProperties":
        return f"有不认识的字段（{error.message}），请检查拼写"
    if v == "enum":
        return f"取值 {error.instance!r} 不在允许的范围内：{'、'.join(map(str, error.validator_value))}"
    if v == "type":
        names = {"string": "文字", "integer": "整数", "boolean": "true/false", "array": "列表", "object": "键值对"}
        want = error.validator_value
        want = "或".join(names.get(w, w) for w in want) if isinstance(want, list) else names.get(want, want)
        return f"应为{want}，实际是 {error.instance!r}"
    if v in ("minLength", "minItems"):
        return "不能为空"
    if v == "minimum":
        return f"不能小于 {error.validator_value}"
    if v == "pattern":
        if error.validator_value == "以当地":
            return "须写明“以当地政务服务中心公布为准”"
        return f"{error.instance!r} 的格式不对（应匹配 {error.validator_value}）"
    return error.message


def _field(path: Iterable[PathPart]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# libyaml when PyYAML was built with it (the wheels are): parsing is most of loading the catalogue.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose_and_load(text: str) -> Tuple[Optional[yaml.Node], Any]:
    """The node tree (for line numbers) and the data, from one parse."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def parse_file(path: Path) -> Tuple[Any, Optional[yaml.Node], List[FileError]]:
    """Read one YAML file; return (data, node tree, errors). Never raises."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node, data = _compose_and_load(text)
    except UnicodeDecodeError:
        return None, None, [FileError(name, "", "文件不是 UTF-8 编码")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, None, [FileError(name, "", f"YAML 格式错误：{problem}", line)]
    except OSError as exc:
        return None, None, [FileError(name, "", f"无法读取：{exc.strerror}")]
    return data, node, []


def schema_errors(name: str, data: Any, node: Optional[yaml.Node], kind: str) -> List[FileError]:
    """All schema violations of one parsed file, sorted by line."""
    if _validator(kind).schema.get("type") == "array":
        if not isinstance(data, list):
            return [FileError(name, "", "文件内容应为列表（每项以 - 开头），现在是空的或格式不对")]
    elif not isinstance(data, dict):
        return [FileError(name, "", "文件内容应为键值对（一个事项），现在是空的或格式不对")]
    errors = []
    for err in _validator(kind).iter_errors(data):
        path = list(err.absolute_path)
        if err.validator == "required" and "'" in err.message:
            field_path = path + [err.message.split("'")[1]]
        else:
            field_path = path
        errors.append(FileError(name, _field(field_path), _explain(err), _line_of(node, path)))
    return sorted(errors, key=lambda e: (e.line or 0, e.field))
