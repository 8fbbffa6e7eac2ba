"""Fixtures shared by the whole suite."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told this is deliberate. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items) -> None:
    """Run tests that commit (and so flush the tables after them) last, as Django's runner does.

    A flush also removes what data migrations created (the role groups, the schedules), which
    the ordinary tests that run in a rolled-back transaction rely on.
    """

    def commits(item) -> bool:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        return bool(
            (marker and marker.kwargs.get("transaction"))
            or "transactional_db" in fixtures
            or "live_server" in fixtures
        )

    items.sort(key=commits)


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
def _collected_static(tmp_path_factory) -> None:
    """Production storage serves hashed static files from a manifest: build it once per run.

    Into a folder of this run, so runs side by side in one checkout never share one.
    """
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = str(tmp_path_factory.mktemp("static"))
    call_command("collectstatic", interactive=False, verbosity=0)


def _member(django_user_model, username: str, role: str | None):
    from django.contrib.auth.models import Group

    from accounts.roles import sync_roles

    if role and not Group.objects.filter(name=role).exists():
        # A transactional test flushes the tables, groups made by the data migration too.
        sync_roles()

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
def susan(db, django_user_model):
    """Susan supervises the compliance reviewers."""
    from accounts.roles import SUPERVISOR

    return _member(django_user_model, "susan", SUPERVISOR)


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
def _fresh_rate_limits() -> None:
    """Rate-limit counters and Smile's Retry-After pause live in the cache; each test starts
    with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def one_rate_limit_window(time_machine) -> None:
    """Hold the clock still for a test that spends a rate limit.

    django-ratelimit counts in fixed one-minute windows; a test whose requests straddled the
    end of one would see its counter start again at zero (it happened on PostgreSQL, where
    121 requests take a few seconds).
    """
    import datetime

    time_machine.move_to(datetime.datetime.now(tz=datetime.UTC), tick=False)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # PBKDF2's cost is the point in production and pure waiting in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def smile_sandbox(settings):
    """The bundled Smile sandbox on a free loopback port, with the portal pointed at it.

    It accepts the suite's API key and secret and signs webhooks with the suite's secret;
    webhooks go nowhere until a test configures a receiver.

    Its `today` is deliberately not pinned: the records end last month of the real date,
    because the portal judges them by its own clock (a current job, the last 12 months, months
    not yet due). A fixed date would make them look older every month. Tests that need exact
    figures read them from `sandbox.records(account_id)`; the sandbox's own tests pin a date.
    """
    from smile_sandbox.testing import start_sandbox

    with start_sandbox(
        client_id=settings.SMILE_CLIENT_ID,
        client_secret=settings.SMILE_CLIENT_SECRET,
        webhook_secret=settings.SMILE_WEBHOOK_SECRET,
    ) as sandbox:
        settings.SMILE_API_URL = sandbox.api_url
        settings.SMILE_LINK_API_URL = sandbox.link_api_url
        settings.SMILE_WINK_SCRIPT_URL = sandbox.script_url
        # Retries keep their shape; the waits between them shrink to keep the suite quick.
        settings.SMILE_RETRY_BACKOFF = 0.01
        yield sandbox


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, keep the test database in a file, so real worker processes can share it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture
def receiver(live_server, smile_sandbox, settings):
    """The sandbox delivers its signed webhooks to the portal under test."""
    url = live_server.url + "/webhooks/smile/"
    smile_sandbox.configure_webhooks(url, settings.SMILE_WEBHOOK_SECRET)
    return url


@pytest.fixture
def portal_url(live_server, settings) -> str:
    """The live test server, as a browser test should address it."""
    # Chromium keeps Secure cookies on http://localhost, not on http://127.0.0.1.
    url = live_server.url.replace("127.0.0.1", "localhost")
    settings.SITE_URL = url
    settings.CSRF_TRUSTED_ORIGINS = [url]
    # The live server serves static files from the apps' folders by their plain names; the
    # hashed names of the production manifest exist only under gunicorn + WhiteNoise (e2e).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return url


@pytest.fixture
def synced_george(smile_sandbox, sam):
    """George, added by Sam, connected his SSS and Upwork accounts; both are synced."""
    import datetime

    from tests import factories
    from verifications.linked_accounts import refresh_linked_account
    from verifications.smile import SmileClient
    from verifications.smile_users import ensure_smile_user
    from verifications.sync import sync_account

    george = factories.applicant(
        first_name="George",
        last_name="Palomero",
        date_of_birth=datetime.date(1970, 8, 24),
        email="gpalomero1234@smileapi.io",
        phone="+639559991234",
        external_reference="LOAN-GEORGE",
        created_by=sam,
    )
    smile_id = ensure_smile_user(george).smile_id
    with SmileClient.from_settings() as client:
        for provider in ("sss_ph", "upwork"):
            remote = smile_sandbox.connect(smile_id, provider, "george", "123456")
            sync_account(refresh_linked_account(george, remote["id"], client=client))
    george.refresh_from_db()
    return george
