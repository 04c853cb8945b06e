"""clue referrals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("case_ids", _JSON, nullable=False),
        sa.Column("recipient_unit", sa.String(length=300), nullable=False),
        sa.Column("recipient_type", sa.String(length=20), nullable=False),
        sa.Column("risk_degree", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("legal_basis", _JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("package_json", sa.Text(), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("release_id", _ID, nullable=True),
        sa.Column("referred_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feedback_status", sa.String(length=20), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["evidence_releases.id"],
            name=op.f("fk_referrals_release_id_evidence_releases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_referrals_feedback_status", ["feedback_status"], unique=False)

    op.create_table(
        "referral_feedback",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("referral_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("authority_ref", sa.String(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_feedback_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_feedback")),
    )
    with op.batch_alter_table("referral_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_feedback_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_feedback_referral_id"))
    op.drop_table("referral_feedback")

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_feedback_status")
        batch_op.drop_index(batch_op.f("ix_referrals_case_id"))
    op.drop_table("referrals")
