"""report outcomes: the status reference and the outcome notice owed to each reporter

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outcome_text_zh", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("outcome_text_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("outcome_text_en")
        batch_op.drop_column("outcome_text_zh")
        batch_op.drop_column("outcome_at")
        batch_op.drop_column("outcome")
        batch_op.drop_column("status_token")
