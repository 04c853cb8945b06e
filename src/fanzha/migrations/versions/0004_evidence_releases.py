"""evidence releases (four-eyes release of a case's evidence to the police)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 23:36:34.005073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_releases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("request_ref", sa.String(length=300), nullable=False),
        sa.Column(
            "hashes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "legal_basis", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_evidence_releases_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_releases")),
    )
    with op.batch_alter_table("evidence_releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_releases_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_releases_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_releases_state"))
        batch_op.drop_index(batch_op.f("ix_evidence_releases_case_id"))

    op.drop_table("evidence_releases")
