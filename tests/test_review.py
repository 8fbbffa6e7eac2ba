"""Compliance review rules: transitions, who decides, four-eyes, overrides, queue, audit."""

import datetime
import itertools
import threading

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from verifications import review
from verifications.models import Applicant, AuditEntry, Decision, TransitionNotAllowed

pytestmark = pytest.mark.django_db

Status = Applicant.Status
ALLOWED = {
    (Status.NEW, Status.INVITED),
    (Status.NEW, Status.CONNECTED),
    (Status.NEW, Status.REJECTED),
    (Status.INVITED, Status.CONNECTED),
    (Status.INVITED, Status.REJECTED),
    (Status.CONNECTED, Status.READY),
    (Status.CONNECTED, Status.REJECTED),
    (Status.READY, Status.APPROVED),
    (Status.READY, Status.REJECTED),
    (Status.READY, Status.MORE_INFO),
    (Status.MORE_INFO, Status.CONNECTED),
    (Status.MORE_INFO, Status.APPROVED),
    (Status.MORE_INFO, Status.REJECTED),
}


@pytest.mark.parametrize(("start", "end"), list(itertools.product(Status, Status)))
def test_every_transition_is_allowed_or_refused_by_the_table(start, end):
    person = factories.applicant(status=start)
    if (start, end) in ALLOWED:
        assert person.set_status(end) == start
        person.refresh_from_db()
        assert person.status == end
    else:
        with pytest.raises(TransitionNotAllowed) as refusal:
            person.set_status(end)
        assert f"who is {Status(start).label.lower()} cannot become" in str(refusal.value)
        person.refresh_from_db()
        assert person.status == start


def test_a_refused_transition_says_what_is_possible():
    person = factories.applicant(status=Status.CONNECTED)
    with pytest.raises(TransitionNotAllowed) as refusal:
        person.set_status(Status.APPROVED)
    assert str(refusal.value) == (
        "An applicant who is connected, data arriving cannot become approved; "
        "from here they can only become: ready for review, rejected."
    )
    approved = factories.applicant(status=Status.APPROVED)
    with pytest.raises(TransitionNotAllowed, match="this is final"):
        approved.set_status(Status.READY)


def test_a_status_changed_meanwhile_is_not_overwritten():
    person = factories.applicant(status=Status.READY)
    stale_copy = Applicant.objects.get(pk=person.pk)
    person.set_status(Status.REJECTED)
    with pytest.raises(TransitionNotAllowed, match="changed meanwhile"):
        stale_copy.set_status(Status.APPROVED)
    person.refresh_from_db()
    assert person.status == Status.REJECTED


@pytest.fixture
def ready(sam, rita):
    """An applicant Sam added, with fresh data, ready and assigned to Rita."""
    person = factories.applicant(status=Status.READY, created_by=sam, assigned_to=rita)
    factories.linked_account(person, last_synced_at=timezone.now())
    return person


def decide(person, reviewer, outcome="approve", reason="verified", **extra):
    return review.decide(person, reviewer=reviewer, outcome=outcome, reason_code=reason, **extra)


def test_the_assigned_reviewer_approves(ready, rita):
    decision = decide(ready, rita, note="All good")
    ready.refresh_from_db()
    assert ready.status == Status.APPROVED
    assert (decision.from_status, decision.to_status, decision.decided_by) == (
        "ready",
        "approved",
        rita,
    )
    entry = AuditEntry.objects.get(action="decided")
    assert (entry.actor, entry.applicant, entry.what) == (rita, ready, "Approve: verified")


@pytest.mark.parametrize(
    ("outcome", "reason", "status"),
    [
        ("reject", "suspected_fraud", Status.REJECTED),
        ("request_info", "explain_gap", Status.MORE_INFO),
    ],
)
def test_reject_and_request_information(ready, rita, outcome, reason, status):
    decide(ready, rita, outcome, reason)
    ready.refresh_from_db()
    assert ready.status == status


def test_a_new_link_after_a_request_for_information_leaves_the_decision_open(ready, rita, sam):
    from verifications import invites

    factories.smile_user(ready)
    decide(ready, rita, "request_info", "explain_gap")
    # Staff send a new link; the applicant answers by email instead of connecting an account.
    invite, _ = invites.send_invite(applicant=ready, sent_by=sam)
    ready.refresh_from_db()
    assert ready.status == Status.MORE_INFO
    assert invite.state == "sent"
    decide(ready, rita)
    ready.refresh_from_db()
    assert ready.status == Status.APPROVED


def test_only_a_decision_or_a_new_account_ends_a_request_for_information():
    person = factories.applicant(status=Status.MORE_INFO)
    assert not person.advance(Status.INVITED)
    assert not person.advance(Status.READY)
    person.refresh_from_db()
    assert person.status == Status.MORE_INFO
    assert person.advance(Status.CONNECTED)
    assert person.advance(Status.READY)


def test_a_reviewer_not_assigned_cannot_decide(ready, victor):
    with pytest.raises(
        review.DecisionRefused, match="Only the reviewer this applicant is assigned to"
    ):
        decide(ready, victor)
    assert not Decision.objects.exists()


def test_a_supervisor_decides_for_someone_else(ready, victor):
    from django.contrib.auth.models import Permission

    victor.user_permissions.add(Permission.objects.get(codename="supervise_review"))
    victor = type(victor).objects.get(pk=victor.pk)
    decide(ready, victor)
    assert Decision.objects.get().decided_by == victor


@pytest.mark.parametrize("username", ["sam", "omar", "charlie"])
def test_only_reviewers_decide(ready, request, username):
    with pytest.raises(review.DecisionRefused, match="Only compliance reviewers decide"):
        decide(ready, request.getfixturevalue(username))


def test_four_eyes_whoever_added_the_applicant_cannot_approve(rita, victor):
    person = factories.applicant(status=Status.READY, created_by=rita, assigned_to=rita)
    factories.linked_account(person, last_synced_at=timezone.now())
    with pytest.raises(review.DecisionRefused, match="four-eyes"):
        decide(person, rita)
    decide(person, rita, "reject", "withdrawn")  # rejecting needs no second pair of eyes
    assert Decision.objects.get().outcome == "reject"


def test_four_eyes_whoever_invited_the_applicant_cannot_approve(ready, rita):
    factories.invite(ready, created_by=rita)
    with pytest.raises(review.DecisionRefused, match="four-eyes"):
        decide(ready, rita)


def test_approving_on_stale_data_needs_an_override_note(ready, rita, settings):
    ready.linked_accounts.update(last_synced_at=timezone.now() - datetime.timedelta(days=31))
    with pytest.raises(review.DecisionRefused) as refusal:
        decide(ready, rita)
    assert "needs an override note" in str(refusal.value)
    assert f"older than {settings.DATA_STALE_DAYS} days" in str(refusal.value)
    decide(ready, rita, override_note="Employer confirmed by phone on 28 Nov.")
    assert Decision.objects.get().override_note == "Employer confirmed by phone on 28 Nov."


def test_approving_with_an_unresolved_flag_needs_an_override_note(ready, rita):
    Applicant.objects.filter(pk=ready.pk).update(flag_missing_contributions=True)
    with pytest.raises(review.DecisionRefused, match="Unresolved flag: missing contributions"):
        decide(ready, rita, override_note="   ")
    decide(ready, rita, override_note="Contributions paid late, receipts seen.")


def test_an_unknown_reason_is_refused(ready, rita):
    with pytest.raises(review.DecisionRefused, match="Choose one of the reasons"):
        decide(ready, rita, reason="because")


def test_a_decision_the_status_does_not_allow_is_refused_readably(rita, sam):
    person = factories.applicant(status=Status.INVITED, assigned_to=rita, created_by=sam)
    with pytest.raises(
        review.DecisionRefused, match="who is invited cannot become more information"
    ):
        decide(person, rita, "request_info", "explain_gap")


@pytest.mark.parametrize("status", [Status.APPROVED, Status.REJECTED])
def test_a_decided_applicant_is_neither_reassigned_nor_unassigned(rita, victor, status):
    person = factories.applicant(status=status, assigned_to=rita)
    with pytest.raises(review.DecisionRefused, match="a final decision"):
        review.assign(person, victor, by=victor)
    with pytest.raises(review.DecisionRefused, match="a final decision"):
        review.unassign(person, by=rita)
    person.refresh_from_db()
    assert person.assigned_to == rita
    assert not AuditEntry.objects.exists()


def test_next_in_my_queue_skips_applicants_i_added_or_invited(rita, victor):
    now = timezone.now()
    added = factories.applicant(
        status=Status.READY, created_at=now - datetime.timedelta(days=5), created_by=rita
    )
    invited = factories.applicant(status=Status.READY, created_at=now - datetime.timedelta(days=4))
    factories.invite(invited, created_by=rita)
    theirs = factories.applicant(status=Status.READY, created_at=now - datetime.timedelta(days=1))

    assert review.next_in_queue(rita) == theirs
    assert review.next_in_queue(rita) is None
    # Another reviewer, who may approve them, gets them oldest first.
    assert [review.next_in_queue(victor), review.next_in_queue(victor)] == [added, invited]


def test_next_in_my_queue_takes_the_oldest_unassigned_ready_applicant(rita, victor):
    now = timezone.now()
    oldest = factories.applicant(status=Status.READY, created_at=now - datetime.timedelta(days=3))
    factories.applicant(
        status=Status.READY, created_at=now - datetime.timedelta(days=9), assigned_to=victor
    )
    factories.applicant(status=Status.CONNECTED, created_at=now - datetime.timedelta(days=9))
    newer = factories.applicant(status=Status.READY, created_at=now - datetime.timedelta(days=1))

    assert review.next_in_queue(rita) == oldest
    assert review.next_in_queue(rita) == newer
    assert review.next_in_queue(rita) is None
    oldest.refresh_from_db()
    assert oldest.assigned_to == rita
    assert AuditEntry.objects.filter(action="assigned", actor=rita).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_pressing_next_at_once_never_get_the_same_applicant(rita, victor):
    for _ in range(4):
        factories.applicant(status=Status.READY)
    taken, start = [], threading.Barrier(2)

    def take(reviewer):
        start.wait()
        try:
            taken.append(review.next_in_queue(reviewer).pk)
        finally:
            connection.close()  # a thread's connection outlives it and blocks the test DB's drop

    threads = [threading.Thread(target=take, args=(reviewer,)) for reviewer in (rita, victor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(taken)) == 2


def test_next_in_my_queue_goes_on_while_others_take_the_applicants_it_saw(rita, victor):
    waiting = [factories.applicant(status=Status.READY) for _ in range(25)]
    raced = []

    def victor_is_quicker(execute, sql, params, many, context):
        # Victor's "Next" presses land between Rita reading the queue and claiming an
        # applicant: he takes the 24 oldest, more than any fixed batch Rita might have read.
        if sql.startswith("UPDATE") and not raced:
            raced.append(sql)
            Applicant.objects.filter(pk__in=[p.pk for p in waiting[:24]]).update(assigned_to=victor)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(victor_is_quicker):
        taken = review.next_in_queue(rita)
    assert taken == waiting[24]
    assert raced


def test_assigning_and_unassigning_are_audited(ready, victor, rita):
    review.unassign(ready, by=rita)
    review.assign(ready, victor, by=victor)
    with pytest.raises(review.DecisionRefused, match="Only a supervisor assigns"):
        review.assign(ready, rita, by=victor)
    actions = list(
        AuditEntry.objects.order_by("at").values_list("action", "actor__username", "what")
    )
    assert actions == [("unassigned", "rita", "from rita"), ("assigned", "victor", "to victor")]


def test_a_reviewer_cannot_take_over_a_colleagues_applicant(ready, rita, victor):
    with pytest.raises(review.DecisionRefused) as refusal:
        review.assign(ready, victor, by=victor)
    assert str(refusal.value) == (
        "George Palomero is already assigned to rita; only a supervisor reassigns an applicant."
    )
    ready.refresh_from_db()
    assert ready.assigned_to == rita
    assert not AuditEntry.objects.exists()
    with pytest.raises(review.DecisionRefused, match="Only the reviewer this applicant is"):
        decide(ready, victor)


def test_a_reviewer_cannot_unassign_a_colleague(ready, victor):
    with pytest.raises(review.DecisionRefused, match="Only the assigned reviewer or a supervisor"):
        review.unassign(ready, by=victor)
    ready.refresh_from_db()
    assert ready.assigned_to is not None


def test_unassigning_nobody_says_so(susan):
    person = factories.applicant(status=Status.READY)
    with pytest.raises(review.DecisionRefused, match="George Palomero is not assigned to anyone"):
        review.unassign(person, by=susan)


def test_assigning_to_yourself_again_is_harmless(ready, rita):
    review.assign(ready, rita, by=rita)
    ready.refresh_from_db()
    assert ready.assigned_to == rita


def test_a_supervisor_reassigns_to_a_named_reviewer_and_unassigns(ready, rita, victor, susan):
    review.assign(ready, victor, by=susan)
    ready.refresh_from_db()
    assert ready.assigned_to == victor
    review.unassign(ready, by=susan)
    ready.refresh_from_db()
    assert ready.assigned_to is None
    entries = list(
        AuditEntry.objects.order_by("at").values_list("action", "actor__username", "what")
    )
    assert entries == [
        ("assigned", "susan", "to victor (was rita)"),
        ("unassigned", "susan", "from victor"),
    ]


def test_only_reviewers_can_be_assigned(ready, susan, omar):
    with pytest.raises(review.DecisionRefused, match="omar is not a compliance reviewer"):
        review.assign(ready, omar, by=susan)


def test_the_reviewers_a_supervisor_chooses_from(rita, victor, susan, sam, omar, admin_user):
    victor.is_active = False
    victor.save()
    assert list(review.reviewers().values_list("username", flat=True)) == [
        "admin",
        "rita",
        "susan",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_assigning_themselves_at_once_one_wins(rita, victor):
    person = factories.applicant(status=Status.READY)
    outcomes, start = {}, threading.Barrier(2)

    def take(reviewer):
        start.wait()
        try:
            review.assign(person, reviewer, by=reviewer)
            outcomes[reviewer.username] = "assigned"
        except review.DecisionRefused as refusal:
            outcomes[reviewer.username] = str(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(reviewer,)) for reviewer in (rita, victor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    person.refresh_from_db()
    winner = person.assigned_to.username
    loser = ({"rita", "victor"} - {winner}).pop()
    assert outcomes[winner] == "assigned"
    assert outcomes[loser] == (
        f"George Palomero is already assigned to {winner}; "
        "only a supervisor reassigns an applicant."
    )
    assert AuditEntry.objects.filter(action="assigned").count() == 1


def months_ago(today, n):
    from verifications.history import add_months

    return add_months(today, -n)


def test_flags_follow_the_data(rita):
    from verifications.models import Identity

    today = timezone.localdate()
    person = factories.applicant(date_of_birth=datetime.date(1970, 8, 24))
    account = factories.linked_account(person)
    Identity.objects.create(
        account=account,
        smile_id="i-1",
        full_name="George Palomero",
        dob=datetime.date(1971, 1, 1),
        raw={},
    )
    factories.employment(account, months_ago(today, 40), months_ago(today, 14), employer="ABC")
    factories.employment(account, months_ago(today, 6), None, employer="CDE")
    for n in range(1, 13):
        if n != 4:  # one month of the last twelve was not paid
            factories.contribution(account, months_ago(today, n))

    review.refresh_review_state(person, today=today)
    person.refresh_from_db()
    assert [label for _, label in review.flags(person)] == [
        "Identity mismatch",
        "Employment gap",
        "Missing contributions",
    ]


def test_no_flag_when_the_data_is_clean():
    today = timezone.localdate()
    person = factories.applicant()
    account = factories.linked_account(person)
    factories.employment(account, months_ago(today, 40), None)
    for n in range(1, 13):
        factories.contribution(account, months_ago(today, n))
    review.refresh_review_state(person, today=today)
    person.refresh_from_db()
    assert review.flags(person) == []


def test_data_completeness_per_kind(settings):
    from verifications.models import SyncRun

    person = factories.applicant()
    account = factories.linked_account(person)
    old = timezone.now() - datetime.timedelta(days=settings.DATA_STALE_DAYS + 1)
    SyncRun.objects.create(
        account=account,
        kinds=["IDENTITIES", "EMPLOYMENTS"],
        trigger="webhook",
        status="succeeded",
        started_at=old,
        finished_at=old,
    )
    SyncRun.objects.create(
        account=account,
        kinds=["EMPLOYMENTS"],
        trigger="webhook",
        status="succeeded",
        finished_at=timezone.now(),
    )
    review.refresh_review_state(person)
    person.refresh_from_db()
    states = {row["label"]: row["state"] for row in review.completeness_rows(person)}
    assert states == {"Identity": "stale", "Employment": "synced", "Contributions": "pending"}

    factories.failed_sync(account, "boom", trigger="manual")
    review.refresh_review_state(person)
    person.refresh_from_db()
    assert {row["label"]: row["state"] for row in review.completeness_rows(person)}[
        "Contributions"
    ] == "error"


def sync_run(account, at, status="succeeded", kinds=("IDENTITIES", "EMPLOYMENTS", "CONTRIBUTIONS")):
    from verifications.models import SyncRun

    return SyncRun.objects.create(
        account=account,
        kinds=list(kinds),
        trigger="manual",
        status=status,
        error="" if status == "succeeded" else "SERVER_ERROR",
        started_at=at,
        finished_at=at,
    )


def completeness(person):
    review.refresh_review_state(person)
    person.refresh_from_db()
    return {row["label"]: (row["state"], row["at"]) for row in review.completeness_rows(person)}


def test_a_failing_account_is_not_hidden_by_another_that_synced_later(client, rita):
    person = factories.applicant(status=Status.READY)
    sss = factories.linked_account(person, provider_id="sss_ph")
    gig = factories.linked_account(person, provider_id="upwork")
    now = timezone.now()
    failed_at = now - datetime.timedelta(minutes=5)
    sync_run(sss, now - datetime.timedelta(days=1))
    sync_run(sss, failed_at, status="failed")
    sync_run(gig, now)
    assert completeness(person) == {
        "Identity": ("error", failed_at),
        "Employment": ("error", failed_at),
        "Contributions": ("error", failed_at),
    }
    client.force_login(rita)
    row = client.get("/admin/verifications/applicant/").content.decode()
    assert "Contributions: error" in row
    assert "Contributions: synced" not in row

    # SSS syncs again: each account's latest run counts, so the failure is over.
    sync_run(sss, now + datetime.timedelta(minutes=1))
    assert {label: state for label, (state, _) in completeness(person).items()} == {
        "Identity": "synced",
        "Employment": "synced",
        "Contributions": "synced",
    }


def test_one_fresh_account_hides_no_other_accounts_old_data(settings):
    person = factories.applicant(status=Status.READY)
    sss = factories.linked_account(person, provider_id="sss_ph")
    gig = factories.linked_account(person, provider_id="upwork")
    old = timezone.now() - datetime.timedelta(days=settings.DATA_STALE_DAYS + 1)
    sync_run(sss, old)
    sync_run(gig, timezone.now(), kinds=["IDENTITIES", "EMPLOYMENTS"])
    assert completeness(person) == {
        "Identity": ("stale", old),
        "Employment": ("stale", old),
        "Contributions": ("stale", old),
    }


def test_an_account_the_applicant_disconnected_counts_only_when_nothing_else_covers_a_kind(
    settings,
):
    person = factories.applicant(status=Status.READY)
    gone = factories.linked_account(person, provider_id="sss_ph", connection_status="DISCONNECTED")
    gig = factories.linked_account(person, provider_id="upwork")
    old = timezone.now() - datetime.timedelta(days=settings.DATA_STALE_DAYS + 1)
    now = timezone.now()
    sync_run(gone, old, status="failed")
    sync_run(gig, now, kinds=["IDENTITIES", "EMPLOYMENTS"])
    assert completeness(person) == {
        "Identity": ("synced", now),
        "Employment": ("synced", now),
        "Contributions": ("error", old),
    }


def test_a_sync_from_the_sandbox_sets_the_review_state(smile_sandbox):
    from verifications.linked_accounts import refresh_linked_account
    from verifications.smile import SmileClient
    from verifications.smile_users import ensure_smile_user
    from verifications.sync import sync_account

    george = factories.applicant(date_of_birth=datetime.date(1970, 8, 24))
    remote = smile_sandbox.connect(ensure_smile_user(george).smile_id, "sss_ph", "george", "123456")
    with SmileClient.from_settings() as client:
        account = refresh_linked_account(george, remote["id"], client=client)
    sync_account(account)
    george.refresh_from_db()
    assert {row["state"] for row in review.completeness_rows(george)} == {"synced"}
    found = review.evidence(george)
    assert {row.field: row.verdict for row in found.comparison}["name"] == "partial"
    assert {row.field: row.verdict for row in found.comparison}["date_of_birth"] == "match"
    assert not george.flag_identity_mismatch


@pytest.fixture
def george_at_smile(ready):
    """Rita's applicant, with an identity from Smile that agrees with what he stated."""
    from verifications.models import Identity

    Applicant.objects.filter(pk=ready.pk).update(date_of_birth=datetime.date(1970, 8, 24))
    Identity.objects.create(
        account=ready.linked_accounts.get(),
        smile_id="i-george",
        full_name="George Cimafranca Palomero, Jr",
        dob=datetime.date(1970, 8, 24),
        raw={},
    )
    review.refresh_review_state(ready)
    ready.refresh_from_db()
    assert not ready.flag_identity_mismatch
    return ready


def test_approval_compares_the_stated_identity_as_it_is_now(george_at_smile, rita):
    person = george_at_smile
    assert review.approval_concerns(person) == []
    # Someone corrects the stated date of birth with the ORM (a shell, a script): the stored
    # flag is stale, the approval rule is not.
    Applicant.objects.filter(pk=person.pk).update(date_of_birth=datetime.date(1985, 1, 1))
    with pytest.raises(review.DecisionRefused) as refusal:
        decide(person, rita)
    assert (
        "Unresolved flag: identity mismatch, the date of birth differs "
        "(stated 1985-01-01, Smile 1970-08-24)." in str(refusal.value)
    )
    decide(person, rita, override_note="Birth certificate seen: 1970-08-24.")


def test_a_corrected_mismatch_needs_no_override_though_the_stored_flag_says_so(
    george_at_smile, rita
):
    Applicant.objects.filter(pk=george_at_smile.pk).update(flag_identity_mismatch=True)
    george_at_smile.refresh_from_db()
    assert review.approval_concerns(george_at_smile) == []
    decide(george_at_smile, rita)
    assert Decision.objects.get().override_note == ""


def test_a_date_of_birth_with_day_and_month_swapped_needs_an_override(george_at_smile, rita):
    person = george_at_smile
    Applicant.objects.filter(pk=person.pk).update(date_of_birth=datetime.date(1970, 8, 4))
    from verifications.models import Identity

    Identity.objects.update(dob=datetime.date(1970, 4, 8))
    review.refresh_review_state(person)
    person.refresh_from_db()
    assert person.flag_identity_mismatch
    assert review.approval_concerns(person) == [
        "Unresolved flag: identity mismatch, the date of birth has day and month swapped "
        "(stated 1970-08-04, Smile 1970-04-08)."
    ]
    with pytest.raises(review.DecisionRefused, match="day and month swapped"):
        decide(person, rita)


def test_a_second_account_with_another_birth_date_raises_the_flag(george_at_smile, rita):
    from verifications.models import Identity

    person = george_at_smile
    borrowed = factories.linked_account(person, provider_id="upwork", last_synced_at=timezone.now())
    Identity.objects.create(
        account=borrowed,
        provider_id="upwork",
        smile_id="i-other",
        full_name="George Palomero",
        dob="1985-01-09",
        raw={},
    )
    review.refresh_review_state(person)
    person.refresh_from_db()

    assert person.flag_identity_mismatch
    dob = next(row for row in review.evidence(person).comparison if row.field == "date_of_birth")
    assert (dob.verdict, dob.conflicts) == ("match", (("upwork", "1985-01-09"),))
    assert [c for c in review.approval_concerns(person) if "identity" in c] == [
        "Unresolved flag: identity mismatch, the date of birth on the upwork account differs "
        "(stated 1970-08-24, upwork 1985-01-09)."
    ]
    with pytest.raises(review.DecisionRefused, match="on the upwork account differs"):
        decide(person, rita)


def test_a_partial_name_needs_no_override(george_at_smile):
    # "George Palomero" against "George Cimafranca Palomero, Jr": how people fill in forms.
    comparison = review.evidence(george_at_smile).comparison
    assert {row.field: row.verdict for row in comparison}["name"] == "partial"
    assert review.approval_concerns(george_at_smile) == []


@pytest.mark.parametrize(
    "tamper",
    [
        lambda rows: rows.update(what="tampered"),
        lambda rows: rows.delete(),
        lambda rows: rows.model.objects.all().delete(),
        lambda rows: rows.model.objects.bulk_update([rows.get()], ["what"]),
    ],
    ids=["update", "delete", "delete-all", "bulk-update"],
)
def test_the_audit_log_refuses_bulk_changes_and_deletes(rita, tamper):
    from django.core.exceptions import ValidationError

    from verifications import audit

    entry = audit.record(rita, audit.Action.ASSIGNED, what="to rita")
    with pytest.raises(ValidationError, match=r"audit entry records cannot be (changed|deleted)"):
        tamper(AuditEntry.objects.filter(pk=entry.pk))
    assert list(AuditEntry.objects.values_list("what", flat=True)) == ["to rita"]


def test_an_audit_entry_once_written_cannot_be_saved_or_deleted(rita):
    from django.core.exceptions import ValidationError

    from verifications import audit

    entry = audit.record(rita, audit.Action.ASSIGNED, what="to rita")
    entry.what = "tampered"
    with pytest.raises(ValidationError, match="audit entry records cannot be changed"):
        entry.save()
    with pytest.raises(ValidationError, match="audit entry records cannot be deleted"):
        entry.delete()
    assert AuditEntry.objects.get().what == "to rita"


def test_decisions_refuse_bulk_changes_and_deletes(ready, rita):
    from django.core.exceptions import ValidationError

    decide(ready, rita, "reject", "withdrawn")
    with pytest.raises(ValidationError, match="decision records cannot be changed"):
        Decision.objects.update(outcome="approve")
    with pytest.raises(ValidationError, match="decision records cannot be deleted"):
        ready.decisions.all().delete()
    assert Decision.objects.get().outcome == "reject"
