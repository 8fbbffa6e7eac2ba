"""The portal's roles: Django groups and the permissions each one carries.

The data migrations call `sync_roles` with the historical app registry, so a later migration
that adds a permission only has to call it again.
"""

from collections.abc import Iterable

STAFF = "Staff"
REVIEWER = "Compliance reviewer"
LOAN_OFFICER = "Loan officer"
SUPERVISOR = "Review supervisor"

_EVERY_VERIFICATIONS_MODEL = (
    "applicant",
    "smileuser",
    "invite",
    "linkedaccount",
    "identity",
    "employment",
    "contribution",
    "income",
    "estimatedincome",
    "webhookevent",
    "syncrun",
    "decision",
    "connectevent",
    "webhookrejection",
    "auditentry",
)

_REVIEWING = (
    *(f"verifications.view_{model}" for model in _EVERY_VERIFICATIONS_MODEL),
    "verifications.decide_applicant",
    "verifications.refresh_data",
    "verifications.view_smile_data",
    "verifications.view_employment_history",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Staff bring applicants in: they add and correct what the applicant stated and send
    # invites, and they see whether the applicant has connected; they never decide.
    STAFF: (
        "verifications.add_applicant",
        "verifications.change_applicant",
        "verifications.view_applicant",
        "verifications.send_invite",
        "verifications.view_invite",
        "verifications.view_connectevent",
        "verifications.view_linkedaccount",
    ),
    # Reviewers see everything Smile returned and decide.
    REVIEWER: _REVIEWING,
    # Supervisors are reviewers who also assign applicants to a named reviewer, reassign and
    # unassign anyone's, and decide for an absent colleague (issue 6: "the assigned reviewer,
    # or a supervisor"). Four-eyes binds them like everyone else.
    SUPERVISOR: (*_REVIEWING, "verifications.supervise_review"),
    # Loan officers read an applicant and their employment history, nothing else.
    LOAN_OFFICER: (
        "verifications.view_applicant",
        "verifications.view_employment_history",
    ),
}


def fingerprint() -> str:
    """A digest of ROLE_PERMISSIONS. The newest roles migration records it: a deployed
    database only gets a role change through a migration, so a test refuses an edit above
    that no migration carries."""
    import hashlib
    import json

    listed = {role: sorted(names) for role, names in ROLE_PERMISSIONS.items()}
    return hashlib.sha256(json.dumps(listed, sort_keys=True).encode()).hexdigest()[:16]


def sync_roles(apps=None) -> None:
    """Create the role groups and give each exactly the permissions listed above."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after `migrate` finishes; create them now so this
    # can run inside a data migration on an empty database.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions(Permission, names))


def _permissions(Permission, names: Iterable[str]) -> list:
    # An early migration runs before later models exist, so their permissions are missing
    # then; the migration that adds such a model calls sync_roles again. A test checks that
    # every listed permission exists in the final schema.
    found = []
    for name in names:
        app_label, codename = name.split(".")
        matching = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        found.extend(matching)
    return found
