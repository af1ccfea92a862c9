from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_waitlist_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='confirmed_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Event',
            name='last_claim',
            field=fields.CharField(default='', db_default='', max_length=20),
        ),
        ops.AddField(
            model_name='Event',
            name='waitlist_last_seq',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Event',
            name='waitlisted_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.RunSQL(
            "UPDATE event SET "
            "confirmed_count = (SELECT count(*) FROM registration r "
            "WHERE r.event_id = event.id AND r.status = 'confirmed'), "
            "waitlisted_count = (SELECT count(*) FROM registration r "
            "WHERE r.event_id = event.id AND r.status = 'waitlisted'), "
            "waitlist_last_seq = COALESCE((SELECT max(r.waitlist_seq) FROM registration r "
            "WHERE r.event_id = event.id), 0)"
        ),
    ]
