from django.db import migrations


def sync_roles(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("verifications", "0009_webhookevent_enqueued_at")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
