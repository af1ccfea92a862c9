from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from events_app.badges.models import BadgeJobStatus
from events_app.checkin.models import CheckInAction, CheckInSource
from events_app.registration.models import BadgeRole
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_twinning')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BadgeJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='badge_jobs', on_delete=OnDelete.CASCADE)),
                ('layout', fields.CharField(max_length=16)),
                ('filters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=BadgeJobStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=BadgeJobStatus, max_length=16)),
                ('done', fields.IntField(default=0)),
                ('total', fields.IntField(default=0)),
                ('path', fields.CharField(default='', max_length=500)),
                ('error', fields.CharField(default='', max_length=500)),
                ('mark_printed', fields.BooleanField(default=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='badge_jobs', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'badge_job', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A badge PDF built in the background for an organiser (large events).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BadgeSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.OneToOneField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='badge_settings', on_delete=OnDelete.CASCADE)),
                ('accent_colour', fields.CharField(default='#2f6b4f', max_length=7)),
                ('text_colour', fields.CharField(default='#1d2a24', max_length=7)),
                ('ribbon_colours', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('show_organisation', fields.BooleanField(default=True)),
                ('show_country', fields.BooleanField(default=True)),
                ('show_job_title', fields.BooleanField(default=False)),
                ('show_qr', fields.BooleanField(default=True)),
                ('logo', fields.BinaryField(null=True)),
                ('logo_type', fields.CharField(default='', max_length=20)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'badge_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': "How an event's badges look: colours, logo and which fields show."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CheckIn',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='checkins', on_delete=OnDelete.CASCADE)),
                ('registration', fields.OneToOneField('models.Registration', source_field='registration_id', db_constraint=True, to_field='id', related_name='checkin', on_delete=OnDelete.CASCADE)),
                ('checked_in_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('desk', fields.CharField(default='', max_length=60)),
                ('source', fields.CharEnumField(description='SCAN: scan\nSEARCH: search\nAPI: api\nOFFLINE: offline', enum_type=CheckInSource, max_length=16)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='checkins', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'checkin', 'app': 'models', 'indexes': [Index(fields=['event_id', 'checked_in_at'])], 'pk_attr': 'id', 'table_description': 'A person checked in at an event (deleted again when an organiser undoes it).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CheckInLog',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='checkin_log', on_delete=OnDelete.CASCADE)),
                ('registration', fields.ForeignKeyField('models.Registration', source_field='registration_id', null=True, db_constraint=True, to_field='id', related_name='checkin_log', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharEnumField(description='CHECKED_IN: checked_in\nALREADY: already_checked_in\nREFUSED: refused\nUNDONE: undone', enum_type=CheckInAction, max_length=24)),
                ('reason', fields.CharField(default='', max_length=40)),
                ('desk', fields.CharField(default='', max_length=60)),
                ('source', fields.CharEnumField(description='SCAN: scan\nSEARCH: search\nAPI: api\nOFFLINE: offline', enum_type=CheckInSource, max_length=16)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='checkin_log', on_delete=OnDelete.SET_NULL)),
                ('nonce', fields.CharField(null=True, unique=True, max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'checkin_log', 'app': 'models', 'indexes': [Index(fields=['event_id', 'at'])], 'pk_attr': 'id', 'table_description': "Every answer given at the door. ``nonce``: an offline scan's own id, so an upload counts once."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Registration',
            name='badge_printed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Registration',
            name='badge_role',
            field=fields.CharEnumField(default=BadgeRole.PARTICIPANT, description='PARTICIPANT: participant\nSPEAKER: speaker\nORGANISER: organiser\nSTAFF: staff\nPRESS: press', db_default='participant', enum_type=BadgeRole, max_length=16),
        ),
        ops.AddField(
            model_name='Registration',
            name='ticket_secret',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]
