"""A final decision closes the application: the applicant's links stop and no invite follows."""

import datetime
import re

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone

from tests import factories
from verifications import invites, review
from verifications.models import Applicant, AuditEntry, Invite

pytestmark = pytest.mark.django_db
Status = Applicant.Status
LIST_URL = "/admin/verifications/applicant/"
FINAL = [("approve", "verified", Status.APPROVED), ("reject", "suspected_fraud", Status.REJECTED)]


@pytest.fixture
def invited(sam, rita, smile_sandbox):
    """Ready for review, assigned to Rita, with a link Sam emailed that still works."""
    person = factories.applicant(status=Status.READY, created_by=sam, assigned_to=rita)
    factories.linked_account(person, last_synced_at=timezone.now())
    invite, url = invites.send_invite(applicant=person, sent_by=sam)
    return person, invite, url.removeprefix("http://127.0.0.1:8000")


@pytest.mark.parametrize(("outcome", "reason", "status"), FINAL)
def test_a_final_decision_stops_the_applicants_link(client, invited, rita, outcome, reason, status):
    person, invite, path = invited
    review.decide(person, reviewer=rita, outcome=outcome, reason_code=reason)

    response = client.get(path)
    assert response.status_code == 410 and "no longer valid" in response.content.decode()
    invite.refresh_from_db()
    assert invite.state == "revoked"
    entry = AuditEntry.objects.get(action="invite_revoked")
    assert (entry.actor, entry.applicant) == (rita, person)
    assert entry.what == f"invite {invite.pk}: {status.label.lower()}, a final decision"


def test_asking_for_more_information_keeps_the_link_working(client, invited, rita):
    person, _, path = invited
    review.decide(person, reviewer=rita, outcome="request_info", reason_code="explain_gap")
    assert client.get(path).status_code == 200
    assert not AuditEntry.objects.filter(action="invite_revoked").exists()


@pytest.mark.parametrize("status", [Status.APPROVED, Status.REJECTED])
def test_a_decided_applicant_gets_no_reminder(smile_sandbox, settings, status):
    # Decided before decisions revoked links: their old invite is still open.
    person = factories.applicant()
    invites.send_invite(applicant=person, sent_by=None)
    Applicant.objects.filter(pk=person.pk).update(status=status)
    mail.outbox.clear()
    later = timezone.now() + datetime.timedelta(days=settings.INVITE_REMINDER_DAYS, hours=1)
    assert invites.send_reminders(now=later) == 0
    assert mail.outbox == []


@pytest.mark.parametrize("status", [Status.APPROVED, Status.REJECTED])
def test_send_invite_refuses_a_decided_applicant(smile_sandbox, status):
    person = factories.applicant(status=status)
    with pytest.raises(invites.InviteRefused, match=f"is {status.label.lower()}, a final"):
        invites.send_invite(applicant=person, sent_by=None)
    assert mail.outbox == [] and not Invite.objects.exists()


def refused(html: str, person: Applicant) -> bool:
    return f"{person} is rejected, a final decision: no link-connect invite is sent." in html


def test_the_send_invite_button_refuses_a_decided_applicant(client, sam, smile_sandbox):
    person = factories.applicant(status=Status.REJECTED)
    client.force_login(sam)
    change = client.get(f"{LIST_URL}{person.pk}/change/").content.decode()
    assert "Send link-connect invite" not in change  # no button to press, only the URL
    page = client.get(f"{LIST_URL}{person.pk}/send-invite/", follow=True)
    assert page.redirect_chain[-1][0] == f"{LIST_URL}{person.pk}/change/"
    assert refused(page.content.decode(), person)
    sent = client.post(f"{LIST_URL}{person.pk}/send-invite/", {"email": "1"}, follow=True)
    assert refused(sent.content.decode(), person)
    assert mail.outbox == [] and not Invite.objects.exists()


def test_the_send_invite_action_skips_a_decided_applicant(client, sam, smile_sandbox):
    decided = factories.applicant(status=Status.REJECTED)
    waiting = factories.applicant(email="ana@example.com")
    client.force_login(sam)
    response = client.post(
        LIST_URL, {"action": "send_invites", "_selected_action": [decided.pk, waiting.pk]}
    )
    html = response.content.decode()
    assert refused(html, decided) and "Link-connect invites sent" in html
    assert [message.to for message in mail.outbox] == [["ana@example.com"]]
    assert list(Invite.objects.values_list("applicant", flat=True)) == [waiting.pk]


def test_resend_refuses_a_decided_applicant(client, sam, smile_sandbox):
    person = factories.applicant()
    invite, _ = invites.send_invite(applicant=person, sent_by=sam)
    Applicant.objects.filter(pk=person.pk).update(status=Status.REJECTED)
    mail.outbox.clear()
    client.force_login(sam)
    response = client.post(
        "/admin/verifications/invite/",
        {"action": "resend", "_selected_action": [invite.pk]},
        follow=True,
    )
    assert refused(response.content.decode(), person)
    assert mail.outbox == [] and Invite.objects.count() == 1


class DecidedWhileSendingBackend(locmem.EmailBackend):
    """A mail server slow enough that the reviewer rejects the applicant meanwhile."""

    def send_messages(self, messages):
        for message in messages:
            Applicant.objects.filter(email__in=message.to).update(status=Status.REJECTED)
        return super().send_messages(messages)


def test_a_decision_while_the_email_goes_out_leaves_no_working_link(
    client, settings, smile_sandbox
):
    settings.EMAIL_BACKEND = f"{__name__}.DecidedWhileSendingBackend"
    person = factories.applicant(email="george@example.com")
    with pytest.raises(invites.InviteRefused):
        invites.send_invite(applicant=person, sent_by=None)
    # The email went out before the decision was seen; its link was never saved.
    [email] = mail.outbox
    [path] = re.findall(r"/connect/[^/\s]+/", email.body)
    assert client.get(path).status_code == 404
    assert not Invite.objects.exists()
