from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from events_app.twinning.models import Answer, RequestRole, RequestStatus, RoundMode, RoundStatus, TwinningStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_agenda')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuthorityContact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='authority_contacts', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('email', fields.CharField(max_length=254)),
                ('email_key', fields.CharField(max_length=254)),
                ('job_title', fields.CharField(default='', max_length=120)),
                ('consent_share', fields.BooleanField(default=False)),
                ('consented_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'authority_contact', 'app': 'models', 'unique_together': (('organisation', 'email_key'),), 'pk_attr': 'id', 'table_description': 'A person at an authority. ``consent_share``: may be introduced by name and email to a twin.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthorityProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.OneToOneField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='authority_profile', on_delete=OnDelete.CASCADE)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('size', fields.BigIntField(null=True)),
                ('topics', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('interest_groups', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'authority_profile', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What matters for matching about one organisation (kind and country live on it).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InterestGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=60)),
                ('name', fields.CharField(max_length=120)),
                ('active', fields.BooleanField(default=True)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'twinning_interest_group', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An interest group of the network (organisers manage the list).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Topic',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=60)),
                ('name', fields.CharField(max_length=120)),
                ('active', fields.BooleanField(default=True)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'twinning_topic', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A procurement topic authorities offer or seek (organisers manage the list).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TwinningRound',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('mode', fields.CharEnumField(description='PEER: peer\nMENTORING: mentoring', enum_type=RoundMode, max_length=16)),
                ('deadline', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('intro', fields.TextField(default='', unique=False)),
                ('options', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pinned', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('forbidden', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=RoundStatus.OPEN, description='OPEN: open\nMATCHING: matching\nSHORTLISTING: shortlisting\nPUBLISHED: published\nCLOSED: closed', enum_type=RoundStatus, max_length=16)),
                ('shortlist_size', fields.IntField(default=5)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='twinning_rounds', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'twinning_round', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One call for twinning requests.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MatchRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('models.TwinningRound', source_field='round_id', db_constraint=True, to_field='id', related_name='runs', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('stable', fields.BooleanField(default=False)),
                ('run_by', fields.ForeignKeyField('models.User', source_field='run_by_id', null=True, db_constraint=True, to_field='id', related_name='match_runs', on_delete=OnDelete.SET_NULL)),
                ('input', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('output', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total_score', fields.FloatField()),
                ('upper_bound', fields.FloatField()),
                ('solver', fields.CharField(max_length=200)),
                ('pairs', fields.IntField()),
                ('unmatched', fields.IntField()),
                ('seconds', fields.FloatField(default=0.0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'twinning_match_run', 'app': 'models', 'unique_together': (('round', 'number'),), 'pk_attr': 'id', 'table_description': 'One run of the matching engine on a round: who ran it, the input and the output, kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TwinningRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('models.TwinningRound', source_field='round_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.CASCADE)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='twinning_requests', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.AuthorityContact', source_field='contact_id', db_constraint=True, to_field='id', related_name='twinning_requests', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='MENTOR: mentor\nMENTEE: mentee\nPEER: peer', enum_type=RequestRole, max_length=16)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('size', fields.BigIntField(null=True)),
                ('offers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('seeks', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('interest_groups', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('capacity', fields.IntField(default=1)),
                ('blocked', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('motivation', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=RequestStatus.UNCONFIRMED, description='UNCONFIRMED: unconfirmed\nCONFIRMED: confirmed\nWITHDRAWN: withdrawn', enum_type=RequestStatus, max_length=16)),
                ('shortlist', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ranking', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ranked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unpaired_told_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'twinning_request', 'app': 'models', 'unique_together': (('round', 'organisation'),), 'pk_attr': 'id', 'table_description': "One authority's request in one round (a snapshot of its profile plus what it wants)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RequestLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.ForeignKeyField('models.TwinningRequest', source_field='request_id', db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'twinning_request_link', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A private link to one request: only the SHA-256 of the token is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Twinning',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('models.TwinningRound', source_field='round_id', db_constraint=True, to_field='id', related_name='twinnings', on_delete=OnDelete.CASCADE)),
                ('run', fields.ForeignKeyField('models.MatchRun', source_field='run_id', null=True, db_constraint=True, to_field='id', related_name='twinnings', on_delete=OnDelete.SET_NULL)),
                ('a', fields.ForeignKeyField('models.TwinningRequest', source_field='a_id', db_constraint=True, to_field='id', related_name='twinnings_as_a', on_delete=OnDelete.CASCADE)),
                ('b', fields.ForeignKeyField('models.TwinningRequest', source_field='b_id', db_constraint=True, to_field='id', related_name='twinnings_as_b', on_delete=OnDelete.CASCADE)),
                ('score', fields.FloatField()),
                ('parts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=TwinningStatus.PROPOSED, description='PROPOSED: proposed\nACCEPTED: accepted\nDECLINED: declined\nCOMPLETED: completed\nCANCELLED: cancelled', enum_type=TwinningStatus, max_length=16)),
                ('a_answer', fields.CharEnumField(default=Answer.PENDING, description='PENDING: pending\nACCEPTED: accepted\nDECLINED: declined', enum_type=Answer, max_length=16)),
                ('b_answer', fields.CharEnumField(default=Answer.PENDING, description='PENDING: pending\nACCEPTED: accepted\nDECLINED: declined', enum_type=Answer, max_length=16)),
                ('decline_reason', fields.CharField(default='', max_length=500)),
                ('study_visit', fields.ForeignKeyField('models.Event', source_field='study_visit_id', null=True, db_constraint=True, to_field='id', related_name='twinnings', on_delete=OnDelete.SET_NULL)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'twinning', 'app': 'models', 'indexes': [Index(fields=['round_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A published pair. In mentoring rounds ``a`` is the mentor. ``reasons`` and ``parts``'},
            bases=['Model'],
        ),
    ]
