"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 07:32:01.521323
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('regions', sa.Text(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('resource', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_key_id'), ['key_id'], unique=False)

    op.create_table('bot_conversations',
    sa.Column('telegram_user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('telegram_user_id')
    )
    op.create_table('export_jobs',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('regions', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('input_path', sa.Text(), nullable=True),
    sa.Column('output_path', sa.Text(), nullable=True),
    sa.Column('output_format', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('programmes', sa.Text(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_jobs_created_by'), ['created_by'], unique=False)

    op.create_table('households',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('risk_eliminated', sa.Boolean(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('per_capita_net_income', sa.Integer(), nullable=True),
    sa.Column('per_capita_net_income_previous', sa.Integer(), nullable=True),
    sa.Column('sudden_hardship_event', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('receives_dibao', sa.Boolean(), nullable=True),
    sa.Column('receives_tekun', sa.Boolean(), nullable=True),
    sa.Column('zero_employment', sa.Boolean(), nullable=True),
    sa.Column('microloan_outstanding', sa.Integer(), nullable=True),
    sa.Column('microloan_overdue', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_region_code'), ['region_code'], unique=False)

    op.create_table('policy_sets',
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('members',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('id_number_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('id_number_masked', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('labor_capacity', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('full_civil_capacity', sa.Boolean(), nullable=True),
    sa.Column('serious_bad_credit', sa.Boolean(), nullable=True),
    sa.Column('willing_to_work', sa.Boolean(), nullable=True),
    sa.Column('can_work_away', sa.Boolean(), nullable=True),
    sa.Column('holds_public_welfare_post', sa.Boolean(), nullable=True),
    sa.Column('disability', sa.Boolean(), nullable=True),
    sa.Column('employment', sa.Text(), nullable=True),
    sa.Column('education', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_members_id_number_hash'), ['id_number_hash'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('member_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('policy_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('facts_hash', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('programmes', sa.Text(), nullable=True),
    sa.Column('is_latest', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['policy_version'], ['policy_sets.version'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_is_latest'), ['is_latest'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_member_id'), ['member_id'], unique=False)

    op.create_table('determinations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('programme', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('result', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('determinations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_determinations_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index('ix_determinations_programme_verdict', ['programme', 'verdict'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('determinations', schema=None) as batch_op:
        batch_op.drop_index('ix_determinations_programme_verdict')
        batch_op.drop_index(batch_op.f('ix_determinations_assessment_id'))

    op.drop_table('determinations')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_member_id'))
        batch_op.drop_index(batch_op.f('ix_assessments_is_latest'))
        batch_op.drop_index(batch_op.f('ix_assessments_household_id'))

    op.drop_table('assessments')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_id_number_hash'))
        batch_op.drop_index(batch_op.f('ix_members_household_id'))

    op.drop_table('members')
    op.drop_table('policy_sets')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_region_code'))
        batch_op.drop_index(batch_op.f('ix_households_category'))

    op.drop_table('households')
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_jobs_created_by'))

    op.drop_table('export_jobs')
    op.drop_table('bot_conversations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_key_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_household_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    op.drop_table('api_keys')
