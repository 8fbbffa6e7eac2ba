"""The configurable reason codes: a usable override works, an unusable one stops start-up."""

import json

import pytest

from tests import factories
from tests.test_settings import run_python
from verifications.models import Decision

SHOW = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps(settings.DECISION_REASONS))"
)
CUSTOM = {
    "approve": {"ok": "All checks passed"},
    "reject": {"custom": "Our own reason"},
    "request_info": {"payslip": "Send a payslip"},
}


def start_with(reasons: str):
    return run_python(SHOW, DEBUG="true", DECISION_REASONS=reasons)


def test_an_override_replaces_the_reasons():
    result = start_with(json.dumps(CUSTOM))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == CUSTOM


@pytest.mark.parametrize(
    ("reasons", "message"),
    [
        ('{"reject": ["custom"]}', "it lacks 'approve'; it lacks 'request_info'; 'reject' must"),
        (
            json.dumps({**CUSTOM, "reject": ["custom"]}),
            "'reject' must map reason codes to labels, not ['custom']",
        ),
        (json.dumps({**CUSTOM, "approve": {}}), "'approve' must map reason codes to labels"),
        (json.dumps({**CUSTOM, "hold": {"x": "y"}}), "'hold' is not an outcome"),
        (json.dumps({**CUSTOM, "reject": {"x" * 51: "Too long"}}), "a code is 1 to 50"),
        (json.dumps({**CUSTOM, "reject": {"x": ""}}), "its label a non-empty text"),
        ('["approve"]', "it is a JSON list, not an object"),
        ("{approve", "DECISION_REASONS cannot be read as JSON"),
    ],
)
def test_unusable_reasons_stop_the_portal_with_a_clear_message(reasons, message):
    result = start_with(reasons)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DECISION_REASONS " in result.stderr
    assert message in result.stderr


def test_the_settings_know_every_outcome_a_decision_can_have(settings):
    assert sorted(settings.DECISION_OUTCOMES) == sorted(Decision.Outcome.values)
    assert sorted(settings.DECISION_REASONS) == sorted(Decision.Outcome.values)


@pytest.mark.django_db
def test_a_reviewer_chooses_from_the_configured_reasons(client, settings, rita, sam):
    settings.DECISION_REASONS = CUSTOM
    person = factories.applicant(created_by=sam, status="ready", assigned_to=rita)
    client.force_login(rita)
    page = client.get(f"/admin/verifications/applicant/{person.pk}/change/").content.decode()
    assert '<option value="custom">Our own reason</option>' in page
    assert "Suspected fraud" not in page
    client.post(
        f"/admin/verifications/applicant/{person.pk}/decide/",
        {"outcome": "reject", "reason_code": "custom"},
    )
    assert Decision.objects.get().reason_code == "custom"
