"""Staff add applicants and send invites in the admin; everything through the admin's URLs."""

import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format

from tests import factories
from verifications import invites
from verifications.models import Applicant, AuditEntry, Invite, SmileUser
from verifications.smile_users import ensure_smile_user

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/verifications/applicant/add/"
LIST_URL = "/admin/verifications/applicant/"
STATED = {
    "first_name": "George",
    "middle_name": "",
    "last_name": "Palomero",
    "suffix": "",
    "date_of_birth": "1970-08-24",
    "address": "12 Maybunga St, Pasig City",
    "email": "george@example.com",
    "phone": "+639559991234",
    "external_reference": "LOAN-9001",
    "invites-TOTAL_FORMS": "0",
    "invites-INITIAL_FORMS": "0",
    "linked_accounts-TOTAL_FORMS": "0",
    "linked_accounts-INITIAL_FORMS": "0",
}


def links_in(html: str) -> list[str]:
    return re.findall(r'value="(http://127\.0\.0\.1:8000/connect/[^"/]+/)"', html)


def test_adding_an_applicant_creates_their_smile_user_once(client, sam, smile_sandbox):
    client.force_login(sam)
    response = client.post(ADD_URL, STATED, follow=True)
    assert response.status_code == 200
    george = Applicant.objects.get()
    assert george.created_by == sam
    smile_user = SmileUser.objects.get(applicant=george)
    assert (
        smile_sandbox.sandbox.store.users[smile_user.smile_id]["externalMetadata"]["reference"]
        == "LOAN-9001"
    )
    # Saving again changes what was stated, never creates a second Smile user.
    client.post(f"{LIST_URL}{george.pk}/change/", {**STATED, "phone": "+639170000000"})
    assert SmileUser.objects.count() == 1
    assert len(smile_sandbox.sandbox.store.users) == 1


def stated_george(**fields) -> Applicant:
    stated = {k: v for k, v in STATED.items() if "-" not in k}
    return factories.applicant(**{**stated, "date_of_birth": datetime.date(1970, 8, 24), **fields})


def test_changing_what_the_applicant_stated_is_audited_field_by_field(client, sam):
    george = stated_george()
    client.force_login(sam)
    changed = {**STATED, "date_of_birth": "1970-08-25", "address": "", "first_name": "George"}
    assert client.post(f"{LIST_URL}{george.pk}/change/", changed).status_code == 302

    entry = AuditEntry.objects.get(action="stated_changed")
    assert (entry.actor, entry.applicant, entry.what) == (sam, george, "date_of_birth, address")
    assert entry.details["changes"] == {
        "date_of_birth": ["1970-08-24", "1970-08-25"],
        "address": ["12 Maybunga St, Pasig City", ""],
    }
    # Saving without a change writes nothing more.
    client.post(f"{LIST_URL}{george.pk}/change/", changed)
    assert AuditEntry.objects.filter(action="stated_changed").count() == 1


@pytest.mark.parametrize("status", [Applicant.Status.APPROVED, Applicant.Status.REJECTED])
def test_after_a_final_decision_what_was_stated_can_no_longer_change(client, sam, status):
    george = stated_george(status=status)
    client.force_login(sam)
    page = client.get(f"{LIST_URL}{george.pk}/change/").content.decode()
    assert 'name="date_of_birth"' not in page and "Aug. 24, 1970" in page

    client.post(f"{LIST_URL}{george.pk}/change/", {**STATED, "date_of_birth": "1971-01-01"})
    george.refresh_from_db()
    assert george.date_of_birth == datetime.date(1970, 8, 24)
    assert not AuditEntry.objects.filter(action="stated_changed").exists()


def test_a_smile_error_keeps_the_applicant_and_marks_them_for_retry(client, sam, smile_sandbox):
    client.force_login(sam)
    smile_sandbox.set_faults(errors={"count": 100, "status": 503})
    response = client.post(ADD_URL, STATED, follow=True)
    assert "is saved, but creating their Smile user failed" in response.content.decode()
    george = Applicant.objects.get()
    assert "Smile is unavailable" in george.smile_user_error
    assert not SmileUser.objects.exists()
    assert george.full_name in client.get(LIST_URL + "?smile_user=retry").content.decode()

    smile_sandbox.clear_faults()
    client.post(LIST_URL, {"action": "retry_smile_users", "_selected_action": [george.pk]})
    george.refresh_from_db()
    assert SmileUser.objects.filter(applicant=george).exists()
    assert george.smile_user_error == ""


def test_sending_an_invite_retries_the_smile_user_as_the_message_says(client, sam, smile_sandbox):
    client.force_login(sam)
    smile_sandbox.set_faults(errors={"count": 1000, "status": 503})
    added = client.post(ADD_URL, STATED, follow=True).content.decode()
    assert "It is tried again when you send an invite" in added
    george = Applicant.objects.get()

    # Smile still down: the invite is made all the same, and the admin says what failed.
    page = client.post(f"{LIST_URL}{george.pk}/send-invite/", {"email": "1"}, follow=True)
    html = page.content.decode()
    assert len(links_in(html)) == 1 and len(mail.outbox) == 1
    assert "creating their Smile user failed again" in html
    assert not SmileUser.objects.exists()

    smile_sandbox.clear_faults()
    page = client.post(f"{LIST_URL}{george.pk}/send-invite/", {"email": "1"}, follow=True)
    html = page.content.decode()
    assert len(links_in(html)) == 1 and "Smile user failed" not in html
    smile_user = SmileUser.objects.get(applicant=george)
    assert smile_user.smile_id in smile_sandbox.sandbox.store.users
    george.refresh_from_db()
    assert george.smile_user_error == ""


def test_a_form_explains_what_is_wrong(client, sam, smile_sandbox):
    client.force_login(sam)
    response = client.post(ADD_URL, {**STATED, "email": "not-an-email", "phone": "0917 123"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in html
    assert "international form" in html
    assert not Applicant.objects.exists()


def test_sending_an_invite_emails_a_link_shown_once_and_stores_only_its_hash(
    client, sam, smile_sandbox
):
    client.force_login(sam)
    george = factories.applicant(email="george@example.com")
    page = client.get(f"{LIST_URL}{george.pk}/send-invite/")
    assert "Email the invite to george@example.com" in page.content.decode()

    response = client.post(f"{LIST_URL}{george.pk}/send-invite/", {"email": "1"})
    [url] = links_in(response.content.decode())
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 22, "at least 128 random bits"

    [message] = mail.outbox
    assert message.to == ["george@example.com"]
    assert url in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and url in html

    invite = Invite.objects.get()
    # Manila's time with its offset, never tzdata's "PST", which readers take for Pacific.
    local = timezone.localtime(invite.expires_at)
    until = f"{local:%Y-%m-%d %H:%M} UTC+08:00"
    assert f"The link works until {until} and only for you" in message.body
    assert f"It works until {until} and only for you" in html
    assert "PST" not in message.body and "PST" not in html
    assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invite.objects.values().get())
    assert invite.created_by == sam and invite.state == "sent"
    assert invite.expires_at - invite.created_at == datetime.timedelta(days=7)
    george.refresh_from_db()
    assert george.status == "invited"
    # The link is not shown again anywhere.
    assert url not in client.get(f"{LIST_URL}{george.pk}/change/").content.decode()


def test_a_link_to_copy_is_not_emailed(client, sam, smile_sandbox):
    client.force_login(sam)
    george = factories.applicant()
    response = client.post(f"{LIST_URL}{george.pk}/send-invite/", {"link": "1"})
    assert len(links_in(response.content.decode())) == 1
    assert mail.outbox == []
    assert Invite.objects.get().state == "created"


def test_the_send_invite_action_sends_to_each_selected_applicant(client, sam, smile_sandbox):
    client.force_login(sam)
    people = [factories.applicant(), factories.applicant()]
    response = client.post(
        LIST_URL, {"action": "send_invites", "_selected_action": [p.pk for p in people]}
    )
    assert len(links_in(response.content.decode())) == 2
    assert len(mail.outbox) == 2


def test_resend_and_revoke_from_the_invite_list(client, sam, smile_sandbox):
    client.force_login(sam)
    george = factories.applicant()
    first, _ = invites.send_invite(applicant=george, sent_by=sam)
    response = client.post(
        "/admin/verifications/invite/", {"action": "resend", "_selected_action": [first.pk]}
    )
    assert len(links_in(response.content.decode())) == 1
    first.refresh_from_db()
    assert first.state == "revoked"
    second = Invite.objects.exclude(pk=first.pk).get()
    client.post(
        "/admin/verifications/invite/", {"action": "revoke", "_selected_action": [second.pk]}
    )
    second.refresh_from_db()
    assert second.state == "revoked"
    states = client.get("/admin/verifications/invite/?state=revoked").content.decode()
    assert states.count("Revoked") >= 2


def test_the_applicant_page_shows_the_invite_lifecycle(client, sam, smile_sandbox, settings):
    client.force_login(sam)
    george = factories.applicant()
    first, _ = invites.send_invite(applicant=george, sent_by=sam)
    later = timezone.now() + datetime.timedelta(days=settings.INVITE_REMINDER_DAYS, minutes=1)
    invites.send_reminders(now=later)
    reminder = Invite.objects.exclude(pk=first.pk).get()
    invites.mark_opened(reminder)
    Invite.objects.filter(pk=reminder.pk).update(
        connected_at=timezone.now(), completed_at=timezone.now()
    )
    html = client.get(f"{LIST_URL}{george.pk}/change/").content.decode()
    inline = html.split('id="invites-group"')[1].split("</fieldset>")[0]
    assert "DONE pressed (used up)" in inline and "Reminder" in inline
    columns: dict[str, list[str]] = {}
    for field, value in re.findall(r'<td class="field-(\w+)">\s*<p>(.*?)</p>', inline):
        columns.setdefault(field, []).append(value)

    def shown(moment) -> str:
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT")

    reminder.refresh_from_db()
    # Newest first: the reminder (connected, DONE pressed), then the first invite it replaced.
    assert columns["state"] == ["Connected", "Revoked"]
    assert columns["reminder"] == [shown(later), shown(later)]
    assert columns["used_up_at"] == [shown(reminder.completed_at), "-"]


def test_create_user_token_shows_its_expiry(client, sam, smile_sandbox):
    client.force_login(sam)
    george = factories.applicant()
    ensure_smile_user(george)  # Smile's POST /users hands out a token of its own
    before = set(smile_sandbox.sandbox.store.tokens)
    response = client.post(
        LIST_URL, {"action": "create_user_tokens", "_selected_action": [george.pk]}, follow=True
    )
    html = response.content.decode()
    smile_id = SmileUser.objects.get(applicant=george).smile_id
    [token] = [
        token
        for key, token in smile_sandbox.sandbox.store.tokens.items()
        if key not in before and token["userId"] == smile_id
    ]
    expires = datetime.datetime.fromtimestamp(token["expiresAt"], datetime.UTC)
    assert (
        f"a sandbox user token for {smile_id} was created; it expires at "
        f"{expires:%Y-%m-%d %H:%M} UTC." in html
    )


@pytest.mark.parametrize("username", ["rita", "omar", "charlie"])
def test_only_staff_send_invites(client, request, username, smile_sandbox):
    user = request.getfixturevalue(username)
    client.force_login(user)
    george = factories.applicant()
    assert client.post(f"{LIST_URL}{george.pk}/send-invite/", {"email": "1"}).status_code == 403
    client.post(LIST_URL, {"action": "send_invites", "_selected_action": [george.pk]})
    assert not Invite.objects.exists()
    assert mail.outbox == []


def test_an_unopened_invite_gets_one_reminder_with_a_new_link(smile_sandbox, settings):
    george = factories.applicant(email="george@example.com")
    first, _ = invites.send_invite(applicant=george, sent_by=None)
    mail.outbox.clear()
    later = timezone.now() + datetime.timedelta(days=settings.INVITE_REMINDER_DAYS, minutes=1)
    assert invites.send_reminders(now=later) == 1
    assert invites.send_reminders(now=later) == 0
    [reminder] = mail.outbox
    assert reminder.subject.startswith("Reminder:")
    first.refresh_from_db()
    assert first.state == "revoked" and first.reminded_at is not None
    assert Invite.objects.get(revoked_at__isnull=True).reminded_at is not None


def test_an_opened_invite_gets_no_reminder(smile_sandbox, settings):
    invite, _ = invites.send_invite(applicant=factories.applicant(), sent_by=None)
    invites.mark_opened(invite)
    later = timezone.now() + datetime.timedelta(days=settings.INVITE_REMINDER_DAYS + 1)
    assert invites.send_reminders(now=later) == 0


def test_the_reminder_schedule_is_registered_and_sends_reminders(smile_sandbox, settings):
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="verifications.tasks.send_invite_reminders")
    assert schedule.schedule_type == Schedule.MINUTES
    george = factories.applicant(email="george@example.com")
    first, _ = invites.send_invite(applicant=george, sent_by=None)
    Invite.objects.filter(pk=first.pk).update(
        sent_at=timezone.now() - datetime.timedelta(days=settings.INVITE_REMINDER_DAYS, minutes=1)
    )
    mail.outbox.clear()
    assert import_string(schedule.func)() == 1
    [reminder] = mail.outbox
    assert reminder.to == ["george@example.com"] and reminder.subject.startswith("Reminder:")
