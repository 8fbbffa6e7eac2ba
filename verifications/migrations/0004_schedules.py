from django.db import migrations


def create_schedules(apps, schema_editor):
    from verifications.schedules import ensure_schedules

    ensure_schedules(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        ("verifications", "0003_link_connect_and_webhooks"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
