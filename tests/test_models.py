"""Constraints of the data model: Smile ids are unique, one Smile user per applicant."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories
from verifications.models import Applicant, Decision, Invite, SmileUser

pytestmark = pytest.mark.django_db


def test_an_applicant_has_at_most_one_smile_user():
    george = factories.applicant()
    factories.smile_user(george)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.smile_user(george)
    assert SmileUser.objects.filter(applicant=george).count() == 1


def test_a_smile_user_id_belongs_to_one_applicant():
    factories.smile_user(factories.applicant(), smile_id="sandbox-" + "a" * 32)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.smile_user(factories.applicant(), smile_id="sandbox-" + "a" * 32)


def test_smile_account_ids_are_unique():
    george = factories.applicant()
    factories.linked_account(george, smile_id="a-" + "1" * 32)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.linked_account(george, smile_id="a-" + "1" * 32)


@pytest.mark.parametrize("builder", ["contribution", "employment"])
def test_smile_record_ids_are_unique_across_accounts(builder):
    first = factories.linked_account(factories.applicant())
    second = factories.linked_account(factories.applicant())
    build = getattr(factories, builder)
    build(first, datetime.date(2021, 4, 30), smile_id="con-" + "f" * 32)
    with pytest.raises(IntegrityError), transaction.atomic():
        build(second, datetime.date(2021, 5, 31), smile_id="con-" + "f" * 32)


def test_external_references_are_unique_but_may_be_left_empty():
    factories.applicant(external_reference="LOAN-1")
    factories.applicant(external_reference="")
    factories.applicant(external_reference="")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.applicant(external_reference="LOAN-1")


def test_the_reference_clash_reads_well_in_a_form():
    factories.applicant(external_reference="LOAN-7")
    clash = Applicant(first_name="A", last_name="B", email="a@b.co", external_reference="LOAN-7")
    with pytest.raises(ValidationError) as error:
        clash.full_clean()
    assert "Another applicant already has this external reference." in str(error.value)


def test_phone_numbers_must_be_international():
    person = Applicant(first_name="A", last_name="B", email="a@b.co", phone="0917 123 4567")
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "international form" in str(error.value)


def test_full_name_joins_the_stated_parts():
    person = Applicant(first_name="George", middle_name="C.", last_name="Palomero", suffix="Jr")
    assert person.full_name == "George C. Palomero Jr"


def test_money_is_stored_as_an_exact_decimal():
    account = factories.linked_account(factories.applicant())
    factories.contribution(account, datetime.date(2021, 4, 30), amount="1375.10")
    stored = account.contributions.get()
    assert str(stored.amount) == "1375.10"
    assert stored.currency == "PHP"


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({}, Invite.State.CREATED),
        ({"sent_at": "now"}, Invite.State.SENT),
        ({"sent_at": "now", "opened_at": "now"}, Invite.State.OPENED),
        ({"sent_at": "now", "opened_at": "now", "connected_at": "now"}, Invite.State.CONNECTED),
        ({"sent_at": "now", "expires_at": "past"}, Invite.State.EXPIRED),
        ({"sent_at": "now", "revoked_at": "now"}, Invite.State.REVOKED),
        ({"connected_at": "now", "expires_at": "past"}, Invite.State.CONNECTED),
    ],
)
def test_invite_state_follows_its_timestamps(fields, state):
    now = timezone.now()
    values = {"now": now, "past": now - datetime.timedelta(seconds=1)}
    invite = factories.invite(
        factories.applicant(), **{name: values[when] for name, when in fields.items()}
    )
    assert invite.state == state


def test_decisions_are_append_only(rita):
    george = factories.applicant()
    decision = Decision.objects.create(
        applicant=george,
        outcome=Decision.Outcome.REJECT,
        reason_code="fraud",
        from_status="ready",
        to_status="rejected",
        decided_by=rita,
    )
    decision.note = "changed my mind"
    with pytest.raises(ValidationError, match="cannot be changed"):
        decision.save()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        decision.delete()
    assert Decision.objects.get().note == ""


def test_the_migrations_hold_every_model_change():
    """A model edited without its migration would pass every test here and break deploys."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail("models changed without a migration:\n" + out.getvalue())
