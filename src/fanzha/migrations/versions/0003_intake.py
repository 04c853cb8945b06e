"""intake: user reports, reporters, police notices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:02:46.370838
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "reporters",
        sa.Column("reporter_id", sa.String(length=256), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("founded", sa.Integer(), nullable=False),
        sa.Column("unfounded", sa.Integer(), nullable=False),
        sa.Column("reliability", sa.Float(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reporter_id", name=op.f("pk_reporters")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("issuing_unit", sa.String(length=200), nullable=False),
        sa.Column("document_no", sa.String(length=100), nullable=False),
        sa.Column("case_no", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_measures", JSON, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("identifier_count", sa.Integer(), nullable=False),
        sa.Column("found_count", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_notices_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("issuing_unit", "document_no", name="uq_notices_unit_document"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_state_deadline", ["state", "deadline"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("reporter_id", sa.String(length=256), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_reports_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_reports_reporter_received", ["reporter_id", "received_at"], unique=False)

    op.create_table(
        "notice_identifiers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("accounts", JSON, nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_identifiers_notice_id_notices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_identifiers")),
        sa.UniqueConstraint("notice_id", "type", "value", name="uq_notice_identifiers_notice_value"),
    )
    with op.batch_alter_table("notice_identifiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_identifiers_notice_id"), ["notice_id"], unique=False)

    op.create_table(
        "report_subjects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("reporter_id", sa.String(length=256), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_subjects_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subjects")),
    )
    with op.batch_alter_table("report_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_subjects_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_report_subjects_type_value", ["type", "value", "received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_subjects", schema=None) as batch_op:
        batch_op.drop_index("ix_report_subjects_type_value")
        batch_op.drop_index(batch_op.f("ix_report_subjects_report_id"))

    op.drop_table("report_subjects")
    with op.batch_alter_table("notice_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_identifiers_notice_id"))

    op.drop_table("notice_identifiers")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_reporter_received")
        batch_op.drop_index(batch_op.f("ix_reports_case_id"))

    op.drop_table("reports")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_state_deadline")

    op.drop_table("notices")
    op.drop_table("reporters")
