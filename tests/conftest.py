"""Fixtures shared by the whole suite."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told this is deliberate. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium; never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """Production storage serves hashed static files from a manifest: build it once."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _member(django_user_model, username: str, role: str | None):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=username, password="pw-" + username, is_staff=True, first_name=username.title()
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def sam(db, django_user_model):
    """Sam works on the staff: adds applicants and sends invites."""
    from accounts.roles import STAFF

    return _member(django_user_model, "sam", STAFF)


@pytest.fixture
def rita(db, django_user_model):
    """Rita is a compliance reviewer."""
    from accounts.roles import REVIEWER

    return _member(django_user_model, "rita", REVIEWER)


@pytest.fixture
def victor(db, django_user_model):
    """Victor is a second compliance reviewer."""
    from accounts.roles import REVIEWER

    return _member(django_user_model, "victor", REVIEWER)


@pytest.fixture
def omar(db, django_user_model):
    """Omar is a loan officer."""
    from accounts.roles import LOAN_OFFICER

    return _member(django_user_model, "omar", LOAN_OFFICER)


@pytest.fixture
def charlie(db, django_user_model):
    """Charlie may enter the admin but holds no role."""
    return _member(django_user_model, "charlie", None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2's cost is the point in production and pure waiting in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
