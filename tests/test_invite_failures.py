"""A mail server that refuses invites: nothing is lost, staff are told, reminders retry.

The email goes through Django's real SMTP backend to a loopback port that is bound but not
listening, so every connection is refused, as with a mail server that is down.
"""

import datetime
import re
import socket
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests import factories
from verifications import invites
from verifications.models import Applicant, AuditEntry, Invite

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/verifications/applicant/"


class MailServer:
    """Email through Django's SMTP backend to a port that refuses (down), or to locmem (up)."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.locmem = settings.EMAIL_BACKEND
        self.refusing = socket.socket()
        self.refusing.bind(("127.0.0.1", 0))  # held, never listened on: no one can take it

    def down(self) -> None:
        self.settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        self.settings.EMAIL_HOST = "127.0.0.1"
        self.settings.EMAIL_PORT = self.refusing.getsockname()[1]
        self.settings.EMAIL_TIMEOUT = 5

    def up(self) -> None:
        self.settings.EMAIL_BACKEND = self.locmem


@pytest.fixture
def mail_server(settings):
    """The mail server, down until a test brings it up."""
    server = MailServer(settings)
    server.down()
    yield server
    server.refusing.close()


def path_of(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[1]


def links_in(html: str) -> list[str]:
    return re.findall(r'value="(http://127\.0\.0\.1:8000/connect/[^"/]+/)"', html)


def test_a_refused_email_in_the_admin_changes_nothing_and_says_so(
    client, sam, smile_sandbox, mail_server
):
    george = factories.applicant(email="george@example.com")
    first, first_url = invites.send_invite(applicant=george, sent_by=sam, email=False)
    client.force_login(sam)

    response = client.post(f"{LIST_URL}{george.pk}/send-invite/", {"email": "1"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{LIST_URL}{george.pk}/send-invite/", 302)]
    html = response.content.decode()
    assert "the email to george@example.com could not be sent" in html
    assert "any earlier link still works" in html
    assert "Only create a link to copy" in html  # the way out, on the same page
    assert list(Invite.objects.all()) == [first]
    first.refresh_from_db()
    assert first.state == "created"
    assert Client().get(path_of(first_url)).status_code == 200
    assert not AuditEntry.objects.filter(what__contains="emailed").exists()

    # Staff then create a link to copy instead: that one works, and replaces the first.
    response = client.post(f"{LIST_URL}{george.pk}/send-invite/", {"link": "1"})
    [url] = links_in(response.content.decode())
    assert Client().get(path_of(url)).status_code == 200
    assert Client().get(path_of(first_url)).status_code == 410


def test_the_send_action_reports_each_refused_email(client, sam, smile_sandbox, mail_server):
    people = [
        factories.applicant(email="george@example.com"),
        factories.applicant(email="ryan@example.com"),
    ]
    client.force_login(sam)
    response = client.post(
        LIST_URL,
        {"action": "send_invites", "_selected_action": [p.pk for p in people]},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    for person in people:
        assert f"{person}: the email to {person.email} could not be sent" in html
    assert not Invite.objects.exists()
    assert set(Applicant.objects.values_list("status", flat=True)) == {"new"}


def test_resend_with_the_mail_server_down_keeps_the_old_link(
    client, sam, smile_sandbox, mail_server
):
    george = factories.applicant(email="george@example.com")
    first, first_url = invites.send_invite(applicant=george, sent_by=sam, email=False)
    client.force_login(sam)
    response = client.post(
        "/admin/verifications/invite/",
        {"action": "resend", "_selected_action": [first.pk]},
        follow=True,
    )
    assert "could not be sent" in response.content.decode()
    assert Client().get(path_of(first_url)).status_code == 200
    assert Invite.objects.count() == 1


def test_a_refused_reminder_keeps_the_link_and_is_sent_on_the_next_run(
    smile_sandbox, settings, mail_server, caplog
):
    george = factories.applicant(email="george@example.com")
    mail_server.up()
    first, _ = invites.send_invite(applicant=george, sent_by=None)
    mail.outbox.clear()
    mail_server.down()
    later = timezone.now() + datetime.timedelta(days=settings.INVITE_REMINDER_DAYS, minutes=1)

    assert invites.send_reminders(now=later) == 0
    assert any("retried next run" in r.getMessage() for r in caplog.records)
    first.refresh_from_db()
    assert first.reminded_at is None and first.state == "sent"
    assert first.unusable_reason() == ""  # (opening it here would make it not due)
    assert Invite.objects.count() == 1

    mail_server.up()
    assert invites.send_reminders(now=later) == 1
    [reminder] = mail.outbox
    assert reminder.subject.startswith("Reminder:")
    first.refresh_from_db()
    assert first.state == "revoked" and first.reminded_at == later
    [url] = re.findall(r"http://127\.0\.0\.1:8000/connect/[^/\s]+/", reminder.body)
    assert Client().get(path_of(url)).status_code == 200


def test_import_with_the_mail_server_down_keeps_going_and_a_rerun_sends(
    tmp_path, smile_sandbox, mail_server
):
    path = tmp_path / "applicants.csv"
    path.write_text(
        "first_name,last_name,email,phone,reference\n"
        "George,Palomero,george@example.com,,LOAN-1\n"
        "Christina,Tan,christina@example.com,,LOAN-3\n"
    )
    out, err = StringIO(), StringIO()
    call_command("import_applicants", str(path), "--send", stdout=out, stderr=err)
    assert err.getvalue().count("could not be sent") == 2
    assert "line 2: created George Palomero (LOAN-1); no invite was made" in err.getvalue()
    assert "2 created, 0 already imported, 0 rejected (no invites emailed)" in out.getvalue()
    assert "2 invite(s) not emailed: import again to send them" in out.getvalue()
    assert Applicant.objects.count() == 2 and not Invite.objects.exists()

    mail_server.up()  # the re-run sends what the first run could not
    out, err = StringIO(), StringIO()
    call_command("import_applicants", str(path), "--send", stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert sorted(m.to[0] for m in mail.outbox) == ["christina@example.com", "george@example.com"]
    assert out.getvalue().count("http://127.0.0.1:8000/connect/") == 2
    assert "0 created, 2 already imported, 0 rejected (2 invites emailed)" in out.getvalue()

    out = StringIO()
    call_command("import_applicants", str(path), "--send", stdout=out, stderr=StringIO())
    assert "connect/" not in out.getvalue() and len(mail.outbox) == 2
    assert Invite.objects.count() == 2
