"""victim early warnings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "victim_warnings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("recipient_id", sa.String(length=256), nullable=False),
        sa.Column("recipient_role", sa.String(length=20), nullable=False),
        sa.Column("typology", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("template_version", sa.String(length=32), nullable=False),
        sa.Column(
            "message", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("choice", sa.String(length=20), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_warnings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_victim_warnings_event_id")),
    )
    with op.batch_alter_table("victim_warnings", schema=None) as batch_op:
        batch_op.create_index("ix_victim_warnings_issued_typology", ["issued_at", "typology"], unique=False)
        batch_op.create_index("ix_victim_warnings_recipient_issued", ["recipient_id", "issued_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("victim_warnings", schema=None) as batch_op:
        batch_op.drop_index("ix_victim_warnings_recipient_issued")
        batch_op.drop_index("ix_victim_warnings_issued_typology")

    op.drop_table("victim_warnings")
