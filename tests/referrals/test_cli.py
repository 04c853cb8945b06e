"""``fanzha referrals build`` and ``export`` through Typer's CliRunner, on both database stacks."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from fanzha.cases import releases
from fanzha.cases import service as cases_service
from fanzha.cases.service import Subject
from fanzha.cases.states import SourceType, SubjectType
from fanzha.cli.main import app
from fanzha.kit.db import session_factory, transaction
from fanzha.referrals import render
from fanzha.referrals import service as referrals_service
from tests.fixtures.stack import Stack

runner = CliRunner()
UNIT = "北京市公安局反诈中心"


def invoke(stack: Stack, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"FANZHA_DATABASE_URL": stack.database_url, "FANZHA_SHARING_IDENTITY_NAME": "示例平台 fanzha"}
    result = runner.invoke(app, ["referrals", *args, "--data-dir", str(tmp_path / "cli-data")], env=env)
    return result.exit_code, result.stderr


def seed_case(stack: Stack) -> int:
    with transaction(session_factory(stack.engine)) as session:
        case = cases_service.open_case(
            session,
            source_type=SourceType.manual,
            source_ref="cli-referral-1",
            subjects=[
                Subject(SubjectType.account, "scammer-7", "actor"),
                Subject(SubjectType.phone, "13800138000", "actor"),
            ],
            evidence=[{"hash": "c" * 64, "type": "screenshot", "captured_at": datetime(2026, 6, 1, tzinfo=UTC)}],
            summary="冒充客服退款诈骗",
            actor="test",
        )
        return case.id


def test_build_writes_a_masked_draft_and_export_the_approved_package(stack: Stack, tmp_path: Path) -> None:
    case_id = seed_case(stack)
    drafts = tmp_path / "drafts"
    code, err = invoke(stack, tmp_path, "build", str(case_id), "--to", UNIT, "--out", str(drafts), "--risk", "medium")
    assert code == 0, err
    with session_factory(stack.engine)() as session:
        [referral] = referrals_service.search(session, case_id=case_id, state=None, limit=10, offset=0)
        referral_id, release_id, digest = referral.id, referral.release_id, referral.package_sha256
        assert referral.referred_by == "cli:referrals"
        assert referral.risk_degree == "medium"
    assert digest in err
    draft = json.loads((drafts / f"referral-{referral_id}-masked.json").read_text(encoding="utf-8"))
    assert draft["masked"]["of_package_sha256"] == digest
    assert draft["sender"]["name"] == "示例平台 fanzha"
    assert "13800138000" not in (drafts / f"referral-{referral_id}-masked.json").read_text(encoding="utf-8")
    assert "脱敏副本" in (drafts / f"referral-{referral_id}-masked.html").read_text(encoding="utf-8")
    if render.pdf_available() is None:
        assert (drafts / f"referral-{referral_id}-masked.pdf").read_bytes().startswith(b"%PDF-")

    final = tmp_path / "final"
    code, err = invoke(stack, tmp_path, "export", str(referral_id), "--out", str(final))
    assert code == 1
    assert "second person" in err
    assert not final.exists() or not any(final.iterdir())

    assert release_id is not None
    with transaction(session_factory(stack.engine)) as session:
        releases.decide(session, release_id=release_id, approve=True, actor="senior-1", reason="checked the clues")
    code, err = invoke(stack, tmp_path, "export", str(referral_id), "--out", str(final))
    assert code == 0, err
    data = (final / f"referral-{referral_id}.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    package = json.loads(data)
    assert {"type": "phone", "value": "+8613800138000", "lists": []} in package["indicators"]
    html = (final / f"referral-{referral_id}.html").read_text(encoding="utf-8")
    assert UNIT in html
    assert "senior-1" in html  # the approver signs the printed referral


def test_build_refuses_an_unknown_case(stack: Stack, tmp_path: Path) -> None:
    code, err = invoke(stack, tmp_path, "build", "424242", "--to", UNIT, "--out", str(tmp_path / "out"))
    assert code == 1
    assert "no case 424242" in err
