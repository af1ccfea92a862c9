from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from events_app.agenda.models import PickStatus, SessionKind, SessionStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_seat_counters')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AgendaPublication',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='agenda_publications', on_delete=OnDelete.CASCADE)),
                ('summary', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('published_by', fields.CharField(default='', max_length=254)),
            ],
            options={'table': 'agenda_publication', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One press of "Publish": what changed, as reported to the organiser.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Room',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='rooms', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('seats', fields.IntField()),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'agenda_room', 'app': 'models', 'unique_together': (('event', 'name'),), 'pk_attr': 'id', 'table_description': "A room of the event's venue, with its number of seats."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Speaker',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='speakers', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('organisation', fields.CharField(default='', max_length=200)),
                ('country', fields.CharField(default='', max_length=2)),
                ('bio', fields.TextField(default='', unique=False)),
                ('photo_url', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'agenda_speaker', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person who speaks at the event (their details as they appear on the agenda).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Track',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='tracks', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=80)),
                ('colour', fields.CharField(max_length=7)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'agenda_track', 'app': 'models', 'unique_together': (('event', 'name'),), 'pk_attr': 'id', 'table_description': 'A thread through the agenda (for example Food or Clean vehicles), shown by its colour.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AgendaSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uid', fields.UUIDField(unique=True)),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('kind', fields.CharEnumField(description='PLENARY: plenary\nWORKSHOP: workshop\nSITE_VISIT: site_visit\nNETWORKING: networking\nBREAK: break\nWEBINAR: webinar', enum_type=SessionKind, max_length=20)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.SET_NULL)),
                ('track', fields.ForeignKeyField('models.Track', source_field='track_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.SET_NULL)),
                ('capacity', fields.IntField(null=True)),
                ('online_url', fields.CharField(default='', max_length=500)),
                ('speaker_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=SessionStatus.DRAFT, description='DRAFT: draft\nPUBLISHED: published\nCANCELLED: cancelled', enum_type=SessionStatus, max_length=20)),
                ('pending', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('conflicts_allowed', fields.BooleanField(default=False)),
                ('ical_sequence', fields.IntField(default=0)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_count', fields.IntField(default=0)),
                ('waitlisted_count', fields.IntField(default=0)),
                ('waitlist_last_seq', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'agenda_session', 'app': 'models', 'indexes': [Index(fields=['event_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': 'One slot of the agenda. See the module docstring for draft and published values.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SessionPick',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.AgendaSession', source_field='session_id', db_constraint=True, to_field='id', related_name='picks', on_delete=OnDelete.CASCADE)),
                ('registration', fields.ForeignKeyField('models.Registration', source_field='registration_id', db_constraint=True, to_field='id', related_name='picks', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='CONFIRMED: confirmed\nWAITLISTED: waitlisted\nCANCELLED: cancelled', enum_type=PickStatus, max_length=20)),
                ('waitlist_seq', fields.IntField(null=True)),
                ('ical_sequence', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'agenda_pick', 'app': 'models', 'unique_together': (('session', 'registration'),), 'indexes': [Index(fields=['session_id', 'status', 'waitlist_seq'])], 'pk_attr': 'id', 'table_description': "An attendee's place (or waitlist entry) in one session."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Event',
            name='agenda_version',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Event',
            name='recording_url',
            field=fields.CharField(default='', db_default='', max_length=500),
        ),
        ops.AddField(
            model_name='Event',
            name='reminder_minutes',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Registration',
            name='feed_generation',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
