from django.db import migrations

# accounts.roles.fingerprint() of the roles this migration gives the groups (tests/test_roles.py).
ROLES_FINGERPRINT = "c99b02b9db35fe11"


def sync_roles(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("verifications", "0009_webhookevent_enqueued_at")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
