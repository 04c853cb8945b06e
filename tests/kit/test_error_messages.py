"""Every error fanzha raises on purpose carries a Chinese message too (``zh=``), and the API sends it.

The guard parses ``src/fanzha`` and finds every construction of a :class:`FanzhaError` subclass; each
needs a non-empty ``zh=`` keyword, unless its class builds the Chinese text itself (``SETS_OWN_ZH``).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import fanzha
from fanzha.kit.errors import Conflict, FanzhaError, InvalidInput, NotFound
from fanzha.lists.kinds import InvalidListValue, ListKind, normalize_value
from fanzha.reports.signing import ReporterRefused
from fanzha.rules.errors import RuleDiagnostic, RulePackError

SOURCE_ROOT = Path(fanzha.__file__).parent
REPO_ROOT = SOURCE_ROOT.parent.parent

NOT_YET_CHECKED: tuple[str, ...] = ()
"""Folders (relative to the repository) the guard would skip; none: the console's sites carry ``zh=`` too."""

SETS_OWN_ZH: dict[str, str] = {
    "RulePackError": "__init__ builds the Chinese summary from the same file name and error count as the English one",
}
"""Subclasses whose ``__init__`` sets ``message_zh`` itself, so their raise sites pass no ``zh=``."""

SKIPPED_MODULES = ("fanzha.__main__", "fanzha.migrations")
"""Not imported to collect subclasses: ``__main__`` runs the CLI, the migrations need Alembic's context."""


def _import_all() -> dict[str, ModuleType]:
    modules: dict[str, ModuleType] = {}
    for info in pkgutil.walk_packages(fanzha.__path__, "fanzha."):
        if info.name.startswith(SKIPPED_MODULES):
            continue
        modules[info.name] = importlib.import_module(info.name)
    return modules


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """What a callee (``Name`` or dotted ``Attribute``) names in the module's namespace, else ``None``."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        return None if owner is None else getattr(owner, node.attr, None)
    return None


def _has_chinese(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg != "zh":
            continue
        value = keyword.value
        if isinstance(value, ast.Constant):
            return isinstance(value.value, str) and value.value.strip() != ""
        if isinstance(value, ast.JoinedStr):
            return bool(value.values)
        return True  # an expression (another error's message_zh, a helper): checked where it is built
    return False


def missing_chinese(
    source: str, namespace: dict[str, Any], error_names: set[str], *, where: str = "<source>"
) -> tuple[list[str], int]:
    """``file:line`` of each FanzhaError construction in ``source`` without a non-empty ``zh=``; and how
    many constructions were checked.

    A callee is resolved in the module's ``namespace``; a name the namespace does not hold (one
    imported inside a function) counts when it is the name of a FanzhaError subclass.
    """
    missing: list[tuple[int, str]] = []
    checked = 0
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        target = _resolve(node.func, namespace)
        if isinstance(target, type):
            if not issubclass(target, FanzhaError):
                continue
            name = target.__name__
        else:
            callee = node.func
            name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
            if name not in error_names:
                continue
        checked += 1
        if name in SETS_OWN_ZH or _has_chinese(node):
            continue
        missing.append((node.lineno, f"{where}:{node.lineno} {name}"))
    return [text for _line, text in sorted(missing)], checked


def test_every_error_raised_on_purpose_has_a_chinese_message() -> None:
    modules = _import_all()
    error_classes = _subclasses(FanzhaError) | {FanzhaError}
    error_names = {cls.__name__ for cls in error_classes}
    missing: list[str] = []
    checked = 0
    for path in sorted(SOURCE_ROOT.rglob("*.py")):
        relative = path.relative_to(REPO_ROOT).as_posix()
        if relative.startswith(NOT_YET_CHECKED):
            continue
        module = modules.get(_module_name(path))
        namespace = vars(module) if module is not None else {}
        found, count = missing_chinese(path.read_text(encoding="utf-8"), namespace, error_names, where=relative)
        missing += found
        checked += count
    assert checked > 150, f"the guard found only {checked} error constructions; is it still looking?"
    assert not missing, "errors without a Chinese message (add zh=...):\n" + "\n".join(missing)


def test_every_class_that_sets_its_own_chinese_exists() -> None:
    _import_all()
    names = {cls.__name__ for cls in _subclasses(FanzhaError)}
    assert set(SETS_OWN_ZH) <= names


def test_the_guard_reports_a_raise_without_chinese() -> None:
    source = textwrap.dedent(
        """
        def f(x):
            if x:
                raise NotFound(f"no case {x}")
            if x is None:
                raise NotFound("gone", zh="")
            error = Conflict("clash", zh=None)
            raise Conflict("ok", zh="冲突")
        """
    )
    namespace = {"NotFound": NotFound, "Conflict": Conflict}
    missing, checked = missing_chinese(source, namespace, {"NotFound", "Conflict"})
    assert checked == 4
    assert missing == ["<source>:4 NotFound", "<source>:6 NotFound", "<source>:7 Conflict"]


def test_the_guard_resolves_dotted_names_and_ignores_other_classes() -> None:
    import fanzha.reports.signing as signing

    source = textwrap.dedent(
        """
        raise signing.ReporterRefused("no reporter", reason="missing")
        raise ValueError("not ours")
        raise RulePackError([], filename="x")
        """
    )
    missing, checked = missing_chinese(
        source, {"signing": signing, "RulePackError": RulePackError}, {"ReporterRefused", "RulePackError"}
    )
    assert checked == 2
    assert missing == ["<source>:2 ReporterRefused"]


class TestLocalized:
    def test_chinese_for_zh_languages(self) -> None:
        error = NotFound("no case 7", zh="案件 7 不存在")
        assert error.message_zh == "案件 7 不存在"
        assert error.localized("zh") == "案件 7 不存在"
        assert error.localized("zh-CN") == "案件 7 不存在"
        assert error.localized("ZH-Hans") == "案件 7 不存在"

    def test_english_for_other_languages(self) -> None:
        error = NotFound("no case 7", zh="案件 7 不存在")
        assert error.localized("en") == "no case 7"
        assert error.localized("") == "no case 7"
        assert str(error) == "no case 7"

    def test_english_when_no_chinese_was_given(self) -> None:
        for error in (NotFound("no case 7"), NotFound("no case 7", zh=""), NotFound("no case 7", zh=None)):
            assert error.message_zh is None
            assert error.localized("zh") == "no case 7"


class TestToDict:
    def test_with_chinese(self) -> None:
        error = InvalidInput("bad", details=[{"field": "x"}], zh="输入有误")
        assert error.to_dict() == {
            "error": "invalid_input",
            "message": "bad",
            "message_zh": "输入有误",
            "details": [{"field": "x"}],
        }

    def test_without_chinese_the_body_is_as_before(self) -> None:
        assert InvalidInput("bad").to_dict() == {"error": "invalid_input", "message": "bad"}
        assert InvalidInput("bad", details={"a": 1}).to_dict() == {
            "error": "invalid_input",
            "message": "bad",
            "details": {"a": 1},
        }


class TestSubclasses:
    def test_reporter_refused_forwards_chinese(self) -> None:
        error = ReporterRefused("expired", reason="expired", zh="此表单链接已过期")
        assert error.to_dict() == {
            "error": "reporter_refused",
            "message": "expired",
            "message_zh": "此表单链接已过期",
            "details": {"reason": "expired"},
        }

    def test_rule_pack_error_builds_its_chinese_summary(self) -> None:
        error = RulePackError([RuleDiagnostic("bad rule"), RuleDiagnostic("worse rule")], filename="pack.yaml")
        assert error.message == "pack.yaml: 2 errors in rule pack"
        assert error.message_zh == "pack.yaml: 规则包中有 2 处错误"

    @pytest.mark.parametrize(
        ("kind", "value", "english", "chinese"),
        [
            (ListKind.phone, "12", "not a valid phone number: '12'", "不是有效的电话号码：'12'"),
            (ListKind.domain, "", "not a valid domain name: it is empty", "不是有效的域名：值为空"),
            (ListKind.account, "", "not a valid account: it is empty", "不是有效的账号：值为空"),
            (ListKind.device, "", "not a valid device id: it is empty", "不是有效的设备号：值为空"),
        ],
    )
    def test_list_values_explain_in_both_languages(
        self, kind: ListKind, value: str, english: str, chinese: str
    ) -> None:
        with pytest.raises(InvalidListValue) as caught:
            normalize_value(kind, value)
        assert caught.value.message == english
        assert caught.value.message_zh == chinese
