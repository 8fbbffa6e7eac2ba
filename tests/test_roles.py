"""Roles are groups with permissions; each demo user sees only what their role allows."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.roles import LOAN_OFFICER, REVIEWER, STAFF, SUPERVISOR

pytestmark = pytest.mark.django_db

PERMISSIONS = [
    "verifications.add_applicant",
    "verifications.change_applicant",
    "verifications.view_applicant",
    "verifications.send_invite",
    "verifications.decide_applicant",
    "verifications.supervise_review",
    "verifications.refresh_data",
    "verifications.view_smile_data",
    "verifications.view_employment_history",
    "verifications.view_contribution",
    "verifications.view_webhookevent",
    "verifications.delete_applicant",
    "verifications.replay_webhookevent",
]

# role -> the permissions from PERMISSIONS it holds
EXPECTED = {
    STAFF: {
        "verifications.add_applicant",
        "verifications.change_applicant",
        "verifications.view_applicant",
        "verifications.send_invite",
    },
    REVIEWER: {
        "verifications.view_applicant",
        "verifications.decide_applicant",
        "verifications.refresh_data",
        "verifications.view_smile_data",
        "verifications.view_employment_history",
        "verifications.view_contribution",
        "verifications.view_webhookevent",
    },
    LOAN_OFFICER: {
        "verifications.view_applicant",
        "verifications.view_employment_history",
    },
}
# A supervisor is a reviewer who may also act on applicants assigned to someone else.
EXPECTED[SUPERVISOR] = EXPECTED[REVIEWER] | {"verifications.supervise_review"}


@pytest.mark.parametrize("fixture", ["sam", "rita", "susan", "omar"])
@pytest.mark.parametrize("permission", PERMISSIONS)
def test_permission_matrix(request, fixture, permission):
    user = request.getfixturevalue(fixture)
    role = user.groups.get().name
    assert user.has_perm(permission) is (permission in EXPECTED[role])


def test_a_user_without_a_role_holds_no_permission(charlie):
    assert not any(charlie.has_perm(permission) for permission in PERMISSIONS)


ADMIN_PAGES = {
    # page: who gets 200 (everyone else logged in gets 403)
    "/admin/verifications/applicant/": {"staff", "reviewer", "supervisor", "officer", "admin"},
    "/admin/verifications/applicant/add/": {"staff", "admin"},
    "/admin/verifications/invite/": {"staff", "reviewer", "supervisor", "admin"},
    "/admin/verifications/linkedaccount/": {"staff", "reviewer", "supervisor", "admin"},
    "/admin/verifications/contribution/": {"reviewer", "supervisor", "admin"},
    "/admin/verifications/employment/": {"reviewer", "supervisor", "admin"},
    "/admin/verifications/identity/": {"reviewer", "supervisor", "admin"},
    "/admin/verifications/webhookevent/": {"reviewer", "supervisor", "admin"},
    "/admin/verifications/syncrun/": {"reviewer", "supervisor", "admin"},
    "/admin/verifications/decision/": {"reviewer", "supervisor", "admin"},
    "/admin/accounts/user/": {"admin"},
    "/admin/django_q/schedule/": {"admin"},
}


@pytest.mark.parametrize("username", ["admin", "staff", "reviewer", "officer", "supervisor"])
def test_each_demo_user_logs_in_and_sees_only_what_the_role_allows(client, username):
    call_command("seed_demo", password="demo-pass-123", force=True, stdout=StringIO())
    assert client.login(username=username, password="demo-pass-123")
    assert client.get("/admin/").status_code == 200
    for page, allowed in ADMIN_PAGES.items():
        expected = 200 if username in allowed else 403
        assert client.get(page).status_code == expected, (username, page)


# What some pages show only to some roles: (page, text on it) -> who sees it. The status code
# alone would not tell: staff and loan officers open these pages, but not all of them.
ADMIN_PAGE_CONTENT = {
    ("/admin/verifications/applicant/", "?flag="): {"reviewer", "supervisor", "admin"},
    ("/admin/verifications/applicant/", "Identity mismatch"): {"reviewer", "supervisor", "admin"},
    ("/admin/verifications/applicant/{pk}/change/", 'id="sync-runs"'): {
        "reviewer",
        "supervisor",
        "admin",
    },
    ("/admin/verifications/applicant/{pk}/change/", "SERVER_ERROR from Smile"): {
        "reviewer",
        "supervisor",
        "admin",
    },
    ("/admin/verifications/applicant/{pk}/change/", 'id="identity-comparison"'): {
        "reviewer",
        "supervisor",
        "admin",
    },
    ("/admin/verifications/applicant/{pk}/change/", "Employment history"): {
        "reviewer",
        "supervisor",
        "officer",
        "admin",
    },
}


@pytest.mark.parametrize("username", ["admin", "staff", "reviewer", "officer", "supervisor"])
def test_each_demo_user_sees_on_a_page_only_what_the_role_allows(client, username):

    from tests import factories
    from verifications.models import Applicant

    call_command("seed_demo", password="demo-pass-123", force=True, stdout=StringIO())
    person = Applicant.objects.order_by("pk").first()
    factories.failed_sync(factories.linked_account(person), "SERVER_ERROR from Smile")
    Applicant.objects.filter(pk=person.pk).update(flag_identity_mismatch=True)
    assert client.login(username=username, password="demo-pass-123")
    for (page, text), allowed in ADMIN_PAGE_CONTENT.items():
        response = client.get(page.format(pk=person.pk))
        assert response.status_code == 200, (username, page)
        assert (text in response.content.decode()) is (username in allowed), (username, page, text)


def test_seed_demo_is_idempotent(django_user_model):
    from verifications.models import Applicant

    call_command("seed_demo", password="a", force=True, stdout=StringIO())
    call_command("seed_demo", password="b", force=True, stdout=StringIO())
    assert django_user_model.objects.count() == 5
    assert Applicant.objects.count() == 4
    assert django_user_model.objects.get(username="admin").is_superuser
    assert django_user_model.objects.get(username="officer").check_password("b")


def test_the_printed_passwords_log_in_through_the_login_form(client, capsys):
    call_command("seed_demo", force=True)
    out = capsys.readouterr().out
    assert "Sample applicants: 4 (4 new)." in out
    printed = {
        line.split()[0]: line.split()[1]
        for line in out.splitlines()
        if line.startswith("  ")
        and line.split()[0] in {"admin", "staff", "reviewer", "officer", "supervisor"}
    }
    assert len(printed) == 5
    for username, password in printed.items():
        answer = client.post(
            "/admin/login/?next=/admin/", {"username": username, "password": password}
        )
        assert answer.status_code == 302 and answer.url == "/admin/", username
        client.logout()


def test_seed_demo_refuses_what_looks_like_production(settings, django_user_model):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="looks like production"):
        call_command("seed_demo", stdout=StringIO())
    assert not django_user_model.objects.exists()


def test_every_permission_a_role_lists_exists():
    from django.contrib.auth.models import Group

    from accounts.roles import ROLE_PERMISSIONS

    for role, names in ROLE_PERMISSIONS.items():
        assert Group.objects.get(name=role).permissions.count() == len(set(names)), role


def test_every_change_to_the_roles_comes_with_a_migration():
    """The groups of a deployed database change only when a migration calls sync_roles."""
    import importlib
    import pkgutil

    from accounts.roles import fingerprint
    from verifications import migrations

    names = sorted(module.name for module in pkgutil.iter_modules(migrations.__path__))
    recorded = [
        module.ROLES_FINGERPRINT
        for module in (importlib.import_module(f"verifications.migrations.{n}") for n in names)
        if hasattr(module, "ROLES_FINGERPRINT")
    ]
    assert recorded, "the newest roles migration records ROLES_FINGERPRINT"
    assert recorded[-1] == fingerprint(), (
        "accounts/roles.py changed without a migration: add one that calls sync_roles and "
        f'records ROLES_FINGERPRINT = "{fingerprint()}"'
    )
