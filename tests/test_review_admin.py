"""The reviewers' queue and applicant page, through the admin's own URLs, by role."""

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.queue import queued_task_names
from verifications.models import Applicant, AuditEntry, Decision, Identity, Invite

pytestmark = pytest.mark.django_db

ROLES = ["sam", "rita", "omar", "charlie"]
A = "/admin/verifications/"

# Page -> the roles that may open it (everyone else logged in gets 403).
PAGES = {
    A + "applicant/": {"sam", "rita", "omar"},
    A + "applicant/add/": {"sam"},
    A + "applicant/{pk}/change/": {"sam", "rita", "omar"},
    A + "applicant/{pk}/send-invite/": {"sam"},
    A + "invite/": {"sam", "rita"},
    A + "linkedaccount/": {"sam", "rita"},
    A + "smileuser/": {"rita"},
    A + "identity/": {"rita"},
    A + "employment/": {"rita"},
    A + "contribution/": {"rita"},
    A + "income/": {"rita"},
    A + "estimatedincome/": {"rita"},
    A + "webhookevent/": {"rita"},
    A + "webhookrejection/": {"rita"},
    A + "syncrun/": {"rita"},
    A + "decision/": {"rita"},
    A + "auditentry/": {"rita"},
    "/admin/accounts/user/": set(),
    "/admin/django_q/schedule/": set(),
    "/history/{pk}/": {"rita", "omar"},
}

# Custom POST endpoints -> the role that may use them.
POSTS = {
    A + "applicant/{pk}/send-invite/": {"sam"},
    A + "applicant/{pk}/refresh/": {"rita"},
    A + "applicant/next/": {"rita"},
    A + "applicant/{pk}/assign/": {"rita"},
    A + "applicant/{pk}/unassign/": {"rita"},
    A + "applicant/{pk}/decide/": {"rita"},
}


@pytest.fixture
def person(sam):
    return factories.applicant(created_by=sam, status=Applicant.Status.READY)


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_who_may_open_each_page(client, request, person, smile_sandbox, username, page):
    client.force_login(request.getfixturevalue(username))
    response = client.get(page.format(pk=person.pk))
    assert response.status_code == (200 if username in PAGES[page] else 403)


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("endpoint", list(POSTS))
def test_who_may_use_each_button(client, request, person, smile_sandbox, username, endpoint):
    client.force_login(request.getfixturevalue(username))
    data = {"outcome": "reject", "reason_code": "withdrawn", "email": "1"}
    response = client.post(endpoint.format(pk=person.pk), data)
    assert (response.status_code != 403) is (username in POSTS[endpoint])


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("action", ["send_invites", "create_user_tokens", "retry_smile_users"])
def test_who_may_run_each_applicant_action(
    client, request, person, smile_sandbox, username, action
):
    client.force_login(request.getfixturevalue(username))
    response = client.post(
        A + "applicant/", {"action": action, "_selected_action": [person.pk]}, follow=True
    )
    changed = (
        Invite.objects.exists()
        if action == "send_invites"
        else hasattr(Applicant.objects.get(pk=person.pk), "smile_user")
    )
    assert changed is (username == "sam")
    if action == "create_user_tokens" and username == "sam":
        assert "user token for" in response.content.decode()


@pytest.mark.parametrize("username", ROLES)
def test_who_may_resend_invites(client, request, person, smile_sandbox, username):
    invite = factories.invite(person)
    client.force_login(request.getfixturevalue(username))
    client.post(A + "invite/", {"action": "resend", "_selected_action": [invite.pk]})
    assert Invite.objects.count() == (2 if username == "sam" else 1)


@pytest.mark.parametrize("username", ROLES)
def test_who_may_revoke_invites(client, request, person, username):
    invite = factories.invite(person)
    client.force_login(request.getfixturevalue(username))
    client.post(A + "invite/", {"action": "revoke", "_selected_action": [invite.pk]})
    invite.refresh_from_db()
    assert (invite.revoked_at is not None) is (username == "sam")


@pytest.mark.parametrize("username", ROLES)
def test_who_may_replay_webhooks(client, request, username, admin_user):
    from verifications.models import WebhookEvent

    event = WebhookEvent.objects.create(
        smile_event_id="et-1", event_type="IDENTITY_ADDED", body="{}", status="failed"
    )
    client.force_login(request.getfixturevalue(username))
    client.post(A + "webhookevent/", {"action": "replay_events", "_selected_action": [event.pk]})
    assert queued_task_names() == []
    client.force_login(admin_user)
    client.post(A + "webhookevent/", {"action": "replay_events", "_selected_action": [event.pk]})
    assert queued_task_names() == ["verifications.tasks.process_webhook_event"]


def test_staff_see_no_smile_data_and_no_decision_form(client, sam, person):
    client.force_login(sam)
    html = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert 'id="identity-comparison"' not in html
    assert 'id="decision-form"' not in html
    assert not AuditEntry.objects.filter(action="viewed_smile_data").exists()


@pytest.fixture
def flagged_with_a_failed_sync(person):
    """Smile's data disagrees with what the person stated; their last sync failed."""

    account = factories.linked_account(person)
    factories.failed_sync(account, "malformed contributions record: '1,375' is not an amount")
    Applicant.objects.filter(pk=person.pk).update(flag_identity_mismatch=True)
    return person


@pytest.mark.parametrize(("username", "sees"), [("sam", False), ("omar", False), ("rita", True)])
def test_sync_runs_and_flags_stay_with_those_who_may_see_them(
    client, request, flagged_with_a_failed_sync, username, sees
):
    person = flagged_with_a_failed_sync
    client.force_login(request.getfixturevalue(username))
    page = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert ('id="sync-runs"' in page) is sees
    assert ("&#x27;1,375&#x27; is not an amount" in page) is sees
    queue = client.get(A + "applicant/").content.decode()
    assert person.last_name in queue
    assert ("Identity mismatch" in queue) is sees
    assert ("?flag=" in queue) is sees
    assert ('class="column-flag_list"' in queue) is sees
    # A flag filter typed into the address is not a way round it.
    filtered = client.get(A + "applicant/?flag=flag_identity_mismatch")
    assert (person.last_name in filtered.content.decode() and filtered.status_code == 200) is sees


def test_loan_officers_read_but_do_not_decide(client, omar, person):
    client.force_login(omar)
    html = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert 'id="decision-form"' not in html
    assert "Employment history" in html


def test_a_reviewer_sees_the_evidence_and_the_view_is_audited(client, rita, person):
    person.assigned_to = rita
    person.save()
    client.force_login(rita)
    html = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert 'id="identity-comparison"' in html and 'id="decision-form"' in html
    assert "Contributions paid, last 12 months" in html
    entry = AuditEntry.objects.get(action="viewed_smile_data")
    assert (entry.actor, entry.applicant, entry.what) == (
        rita,
        person,
        f"{A}applicant/{person.pk}/change/",
    )


def test_the_comparison_shows_an_account_that_contradicts_the_others(client, rita, person):
    for provider, dob in [("sss_ph", "1970-08-24"), ("upwork", "1985-01-09")]:
        account = factories.linked_account(person, provider_id=provider)
        Identity.objects.create(
            account=account,
            provider_id=provider,
            smile_id=f"i-{provider}",
            full_name="George Palomero",
            dob=dob,
            raw={},
        )
    Applicant.objects.filter(pk=person.pk).update(date_of_birth="1970-08-24")
    client.force_login(rita)
    html = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert html.count('data-testid="conflict"') == 1
    assert "upwork says 1985-01-09: mismatch" in html


def test_looking_at_smile_records_is_audited(client, rita, person):
    account = factories.linked_account(person)
    record = factories.contribution(account, timezone.localdate().replace(day=1))
    client.force_login(rita)
    client.get(A + "contribution/")
    client.get(f"{A}contribution/{record.pk}/change/")
    entries = AuditEntry.objects.filter(action="viewed_smile_data", actor=rita).order_by("at")
    assert [(e.applicant, e.what) for e in entries] == [
        (None, A + "contribution/"),
        (person, f"contribution {record.smile_id}"),
    ]


def test_next_in_my_queue_through_the_admin(client, rita, person):
    client.force_login(rita)
    response = client.post(A + "applicant/next/")
    assert response.status_code == 302 and response.url == f"{A}applicant/{person.pk}/change/"
    person.refresh_from_db()
    assert person.assigned_to == rita
    again = client.post(A + "applicant/next/", follow=True)
    assert "Nobody is waiting for review." in again.content.decode()


def test_decide_through_the_admin_and_see_refusals(client, rita, person):
    person.assigned_to = rita
    person.save()
    client.force_login(rita)
    refused = client.post(
        f"{A}applicant/{person.pk}/decide/",
        {"outcome": "approve", "reason_code": "verified"},
        follow=True,
    )
    assert "Approving needs an override note" in refused.content.decode()
    assert not Decision.objects.exists()

    done = client.post(
        f"{A}applicant/{person.pk}/decide/",
        {"outcome": "reject", "reason_code": "suspected_fraud", "note": "Payslips edited"},
        follow=True,
    )
    assert "Reject: " in done.content.decode()
    person.refresh_from_db()
    assert person.status == "rejected"
    assert Decision.objects.get().note == "Payslips edited"
    assert "Payslips edited" in done.content.decode()  # decision history on the page
    # The history names the reason as reviewers chose it, not the stored code.
    assert '<td title="suspected_fraud">Suspected fraud</td>' in done.content.decode()


@pytest.mark.parametrize(
    ("who", "outcome", "reason", "said"),
    [
        ("rita", "reject", "suspected_fraud", "rejected"),
        ("susan", "approve", "verified", "approved"),
    ],
)
def test_a_final_decision_leaves_no_form_or_assignment_only_who_decided(
    client, request, rita, person, who, outcome, reason, said
):
    from verifications.history.dates import format_instant

    factories.linked_account(person, last_synced_at=timezone.now())
    person.assigned_to = rita
    person.save()
    decider = request.getfixturevalue(who)
    client.force_login(decider)
    before = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert 'id="decision-form"' in before
    client.post(
        f"{A}applicant/{person.pk}/decide/",
        {"outcome": outcome, "reason_code": reason, "override_note": "Checked by phone"},
    )
    decision = Decision.objects.get()
    for viewer in (rita, request.getfixturevalue("susan")):
        client.force_login(viewer)
        page = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
        assert f"Final: {said} by {decider} on {format_instant(decision.decided_at)}." in page
        for offer in ('id="decision-form"', "Record decision", "Unassign", "Assign to me"):
            assert offer not in page, (viewer, offer)
        assert 'id="assign-form"' not in page
        assert 'id="decision-history"' in page


def test_a_decision_form_with_a_missing_reason_explains_itself(client, rita, person):
    person.assigned_to = rita
    person.save()
    client.force_login(rita)
    response = client.post(f"{A}applicant/{person.pk}/decide/", {"outcome": "approve"}, follow=True)
    assert (
        "The decision was not recorded: reason_code: This field is required."
        in response.content.decode()
    )


def test_refreshing_data_and_invite_actions_are_audited(client, sam, rita, person, smile_sandbox):
    factories.linked_account(person)
    client.force_login(sam)
    client.post(f"{A}applicant/{person.pk}/send-invite/", {"email": "1"})
    invite = Invite.objects.get()
    client.post(A + "invite/", {"action": "revoke", "_selected_action": [invite.pk]})
    client.force_login(rita)
    client.post(f"{A}applicant/{person.pk}/refresh/")
    actions = list(AuditEntry.objects.order_by("at").values_list("action", "actor__username"))
    assert actions == [("invite_sent", "sam"), ("invite_revoked", "sam"), ("data_refresh", "rita")]


def test_no_one_may_edit_the_audit_log(client, admin_user, rita, person):
    from verifications import audit

    entry = audit.record(rita, audit.Action.ASSIGNED, applicant=person, what="to rita")
    client.force_login(admin_user)
    assert client.get(A + "auditentry/").status_code == 200
    assert client.get(A + "auditentry/add/").status_code == 403
    assert client.post(f"{A}auditentry/{entry.pk}/change/", {"what": "x"}).status_code == 403
    assert client.post(f"{A}auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.what == "to rita"


@pytest.fixture
def queue(rita, victor):
    """Five applicants in every situation the queue filters on."""
    mine = factories.applicant(last_name="Mine", status="ready", assigned_to=rita)
    free = factories.applicant(last_name="Free", status="ready", email="free.person@example.com")
    factories.smile_user(free, "sandbox-user-0f0f0f0f")
    theirs = factories.applicant(
        last_name="Theirs", status="ready", assigned_to=victor, external_reference="LOAN-4471"
    )
    gap = factories.applicant(last_name="Gappy", status="connected", flag_employment_gap=True)
    gig = factories.applicant(last_name="Gig", status="invited")
    factories.linked_account(gig, provider_id="upwork", smile_id="a-" + "9" * 32)
    return {"mine": mine, "free": free, "theirs": theirs, "gap": gap, "gig": gig}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("assigned=me", {"mine"}),
        ("assigned=none", {"free", "gap", "gig"}),
        ("assigned=others", {"theirs"}),
        ("status__exact=ready", {"mine", "free", "theirs"}),
        ("flag=flag_employment_gap", {"gap"}),
        ("flag=none", {"mine", "free", "theirs", "gig"}),
        ("provider=upwork", {"gig"}),
        ("q=" + "a-" + "9" * 32, {"gig"}),
        ("q=Gappy", {"gap"}),
        ("q=FREE.Person@Example.com", {"free"}),
        ("q=LOAN-4471", {"theirs"}),
        ("q=sandbox-user-0f0f0f0f", {"free"}),
    ],
)
def test_queue_filters_and_search(client, rita, queue, query, expected):
    client.force_login(rita)
    html = client.get(f"{A}applicant/?{query}").content.decode()
    shown = {name for name, person in queue.items() if f"/applicant/{person.pk}/change/" in html}
    assert shown == expected


def test_the_provider_filter_offers_a_new_provider_once_its_first_account_is_saved(
    client, rita, queue, django_capture_on_commit_callbacks
):
    client.force_login(rita)
    page = client.get(A + "applicant/").content.decode()
    assert "?provider=upwork" in page
    assert "?provider=grab" not in page
    # The list of providers is cached between pages; a new provider must not wait for it.
    with django_capture_on_commit_callbacks(execute=True):
        factories.linked_account(queue["free"], provider_id="grab")
    page = client.get(A + "applicant/").content.decode()
    assert "?provider=grab" in page
    assert "?provider=upwork" in page


def test_the_queue_shows_status_assignment_completeness_flags_and_age(client, rita, queue):
    client.force_login(rita)
    html = client.get(A + "applicant/").content.decode()
    for text in ("Ready for review", "Rita", "Identity: pending", "Employment gap", " d<"):
        assert text in html


def test_the_queue_page_costs_the_same_queries_for_5_or_50_applicants(client, rita):
    from django.db import connection

    def count():
        client.force_login(rita)
        client.get(A + "applicant/")  # the provider filter's list is cached by the first page
        with CaptureQueriesContext(connection) as queries:
            assert client.get(A + "applicant/").status_code == 200
        return len(queries)

    def add(n):
        # Every kind of row: assigned or not, invited, connected, flagged.
        for i in range(n):
            person = factories.applicant(assigned_to=rita if i % 2 else None)
            factories.invite(person)
            factories.linked_account(person, provider_id=("sss_ph", "upwork")[i % 2])
            factories.smile_user(person)

    add(5)
    few = count()
    add(45)
    assert count() == few <= 12


def test_a_reviewer_cannot_take_over_a_colleagues_applicant_through_the_admin(
    client, rita, victor, person
):
    person.assigned_to = rita
    person.save()
    client.force_login(victor)
    page = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert "Only a supervisor reassigns it." in page
    assert f"{A}applicant/{person.pk}/assign/" not in page

    refused = client.post(f"{A}applicant/{person.pk}/assign/", follow=True)
    assert (
        "George Palomero is already assigned to rita; only a supervisor reassigns an applicant."
        in refused.content.decode()
    )
    client.post(
        f"{A}applicant/{person.pk}/decide/", {"outcome": "reject", "reason_code": "withdrawn"}
    )
    named = client.post(f"{A}applicant/{person.pk}/assign/", {"reviewer": victor.pk}, follow=True)
    assert "already assigned to rita" in named.content.decode()
    person.refresh_from_db()
    assert (person.assigned_to, person.status) == (rita, "ready")
    assert not Decision.objects.exists()
    assert not AuditEntry.objects.filter(action="assigned").exists()


def test_a_supervisor_assigns_to_a_named_reviewer_and_unassigns(
    client, rita, victor, susan, person
):
    person.assigned_to = rita
    person.save()
    client.force_login(susan)
    page = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert 'id="assign-form"' in page
    assert f'<option value="{victor.pk}">Victor (victor)</option>' in page
    assert "Unassign rita" in page

    done = client.post(f"{A}applicant/{person.pk}/assign/", {"reviewer": victor.pk}, follow=True)
    assert "George Palomero is now assigned to victor." in done.content.decode()
    person.refresh_from_db()
    assert person.assigned_to == victor
    client.post(f"{A}applicant/{person.pk}/unassign/")
    person.refresh_from_db()
    assert person.assigned_to is None
    entries = AuditEntry.objects.order_by("at").values_list("action", "actor__username", "what")
    assert list(entries.exclude(action="viewed_smile_data")) == [
        ("assigned", "susan", "to victor (was rita)"),
        ("unassigned", "susan", "from victor"),
    ]


@pytest.mark.parametrize("reviewer", ["omar", "nobody"])
def test_a_supervisor_can_only_assign_to_a_reviewer(client, request, susan, omar, person, reviewer):
    client.force_login(susan)
    pk = omar.pk if reviewer == "omar" else 987654
    response = client.post(f"{A}applicant/{person.pk}/assign/", {"reviewer": pk}, follow=True)
    assert "Choose one of the reviewers listed." in response.content.decode()
    person.refresh_from_db()
    assert person.assigned_to is None


def test_reviewers_do_not_see_the_supervisors_form(client, rita, person):
    client.force_login(rita)
    page = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert 'id="assign-form"' not in page
    assert "Assign to me" in page


def change_form(person, **changes):
    """The applicant's change form as Sam submits it: every stated field, no inline rows."""
    data = {
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "last_name": person.last_name,
        "suffix": person.suffix,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
        "address": person.address,
        "email": person.email,
        "phone": person.phone,
        "external_reference": person.external_reference,
        "invites-TOTAL_FORMS": "0",
        "invites-INITIAL_FORMS": "0",
        "linked_accounts-TOTAL_FORMS": "0",
        "linked_accounts-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_editing_the_stated_date_of_birth_updates_the_flags_and_the_approval_rule(
    client, sam, rita, person
):
    import datetime

    from verifications import review
    from verifications.models import Identity

    account = factories.linked_account(person, last_synced_at=timezone.now())
    Identity.objects.create(
        account=account,
        smile_id="i-1",
        full_name="George Palomero",
        dob=datetime.date(1970, 8, 24),
        raw={},
    )
    Applicant.objects.filter(pk=person.pk).update(
        date_of_birth=datetime.date(1970, 8, 24), assigned_to=rita
    )
    person.refresh_from_db()
    client.force_login(sam)
    saved = client.post(
        f"{A}applicant/{person.pk}/change/", change_form(person, date_of_birth="1985-01-01")
    )
    assert saved.status_code == 302
    person.refresh_from_db()
    assert person.flag_identity_mismatch

    client.force_login(rita)
    queue = client.get(A + "applicant/?flag=flag_identity_mismatch").content.decode()
    assert f"/applicant/{person.pk}/change/" in queue
    refused = client.post(
        f"{A}applicant/{person.pk}/decide/",
        {"outcome": "approve", "reason_code": "verified"},
        follow=True,
    )
    assert (
        "the date of birth differs (stated 1985-01-01, Smile 1970-08-24)"
        in refused.content.decode()
    )
    assert not Decision.objects.exists()

    client.force_login(sam)
    client.post(
        f"{A}applicant/{person.pk}/change/", change_form(person, date_of_birth="1970-08-24")
    )
    person.refresh_from_db()
    assert not person.flag_identity_mismatch
    assert review.approval_concerns(person) == []
    client.force_login(rita)
    client.post(
        f"{A}applicant/{person.pk}/decide/", {"outcome": "approve", "reason_code": "verified"}
    )
    assert Decision.objects.get().override_note == ""


def test_saving_the_change_form_is_not_a_view_of_smile_data(client, admin_user, person):
    client.force_login(admin_user)
    client.get(f"{A}applicant/{person.pk}/change/")
    assert AuditEntry.objects.filter(action="viewed_smile_data").count() == 1
    saved = client.post(f"{A}applicant/{person.pk}/change/", change_form(person, suffix="Jr"))
    assert saved.status_code == 302
    assert AuditEntry.objects.filter(action="viewed_smile_data").count() == 1
    # A form sent back with an error shows the page, Smile's data included: that is a view.
    refused = client.post(f"{A}applicant/{person.pk}/change/", change_form(person, email="x"))
    assert refused.status_code == 200 and 'id="identity-comparison"' in refused.content.decode()
    assert AuditEntry.objects.filter(action="viewed_smile_data").count() == 2


def test_the_queue_and_the_panel_show_sync_times_in_local_time_with_the_offset(
    client, rita, person
):
    import datetime

    from verifications import review
    from verifications.models import SyncRun

    at = (timezone.now() - datetime.timedelta(days=1)).replace(tzinfo=datetime.UTC)
    manila = f"{at + datetime.timedelta(hours=8):%Y-%m-%d %H:%M} UTC+08:00"  # no summer time
    account = factories.linked_account(person)
    SyncRun.objects.create(
        account=account,
        kinds=["IDENTITIES"],
        trigger="manual",
        status="succeeded",
        started_at=at,
        finished_at=at,
    )
    review.refresh_review_state(person)
    client.force_login(rita)
    queue = client.get(A + "applicant/").content.decode()
    assert f'title="last sync {manila}"' in queue
    page = client.get(f"{A}applicant/{person.pk}/change/").content.decode()
    assert f"Identity: synced ({manila})" in page
