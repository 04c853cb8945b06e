"""phone bindings and notice deadlines

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_bindings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=256), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("unbind_source", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_bindings")),
        sa.UniqueConstraint("account_id", "phone", "bound_at", name="uq_phone_bindings_account_phone_bound"),
    )
    with op.batch_alter_table("phone_bindings", schema=None) as batch_op:
        batch_op.create_index("ix_phone_bindings_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_phone_bindings_phone_unbound", ["phone", "unbound_at"], unique=False)

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_warned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("overdue_at")
        batch_op.drop_column("deadline_warned_at")

    with op.batch_alter_table("phone_bindings", schema=None) as batch_op:
        batch_op.drop_index("ix_phone_bindings_phone_unbound")
        batch_op.drop_index("ix_phone_bindings_account_id")

    op.drop_table("phone_bindings")
