"""Public endpoints are rate-limited: the admin login, /healthz (and /connect/, /webhooks/)."""

import pytest

pytestmark = pytest.mark.django_db


def test_password_guessing_on_one_user_name_is_slowed_down(client, rita):
    statuses = [
        client.post("/admin/login/", {"username": "rita", "password": f"guess-{n}"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [200] * 10  # the form again, with "enter a correct username…"
    assert statuses[10] == 429
    # The right password is refused too while the limit holds: guessing gains nothing.
    assert (
        client.post("/admin/login/", {"username": "rita", "password": "pw-rita"}).status_code == 429
    )


def test_guessing_many_user_names_from_one_address_is_slowed_down(client, db):
    statuses = [
        client.post("/admin/login/", {"username": f"user{n}", "password": "x"}).status_code
        for n in range(21)
    ]
    assert statuses[-1] == 429 and statuses.count(429) == 1


def test_logging_in_still_works(client, rita):
    response = client.post("/admin/login/", {"username": "rita", "password": "pw-rita"})
    assert response.status_code == 302


def test_healthz_is_rate_limited_per_address(client, db):
    statuses = [client.get("/healthz").status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429
