"""The sandbox people's data: the facts the portal's tests lean on."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from sandbox_support import GEORGE_CONTRIBUTIONS

from smile_sandbox import people, records


def generate(key: str, provider: str, account_id: str = "a-1", today: date = date(2025, 11, 15)):
    return records.generate(
        people.PEOPLE[key],
        provider,
        account_id=account_id,
        user_id="sandbox-u",
        today=today,
        created_at="2025-11-15T00:00:00Z",
    )


@pytest.mark.parametrize(
    "login",
    [
        "george",
        "GEORGE",
        "gpalomero1234@smileapi.io",
        "GPalomero1234@SmileAPI.io",
        "+63 9559991234",
        "+639559991234",
        "63 955 999 1234",
    ],
)
def test_george_logs_in_by_name_email_or_phone(login):
    assert people.authenticate(login, "123456") is people.GEORGE


@pytest.mark.parametrize(
    ("login", "password", "person"),
    [
        ("ryan", "654321", "ryan"),
        ("christina4321@smileapi.io", "YGUS1", "christina"),
        ("+91 9511198765", "123456", "anisha"),
        ("+65 99996789", "YGUS1", "christina"),
    ],
)
def test_the_other_people_log_in(login, password, person):
    assert people.authenticate(login, password).key == person


@pytest.mark.parametrize(
    ("login", "password"),
    [("george", "654321"), ("christina", "ygus1"), ("nobody", "123456"), ("1234", "123456")],
)
def test_wrong_logins_fail(login, password):
    assert people.authenticate(login, password) is None


def test_georges_sss_history():
    jobs = generate("george", "sss_ph")["employments"]
    assert len(jobs) == 6
    assert jobs[0]["startDate"].startswith("1992")
    assert [job["endDate"] for job in jobs].count(None) == 1
    assert jobs[-1]["endDate"] is None
    gaps = [
        (date.fromisoformat(after["startDate"]) - date.fromisoformat(before["endDate"])).days
        for before, after in pairwise(jobs)
    ]
    assert max(gaps) >= 182, "a gap of six months or more between two jobs"


def test_georges_upwork_contracts_overlap():
    jobs = generate("george", "upwork")["employments"]
    overlapping = [
        (a, b)
        for a in jobs
        for b in jobs
        if a is not b and a["startDate"] < b["startDate"] <= (a["endDate"] or "9999")
    ]
    assert overlapping


def test_georges_contributions_are_monthly_with_the_job_gap_and_one_missed_month():
    items = generate("george", "sss_ph")["contributions"]
    months = [item["date"][:7] for item in items]
    assert months[0] == "2002-01" and months[-1] == "2025-10"
    every_month = [
        f"{month:%Y-%m}" for month in records.months_between(date(2002, 1, 1), date(2025, 10, 1))
    ]
    without = [month for month in every_month if month not in months]
    between_jobs = ["2013-07", "2013-08", "2013-09", "2013-10", "2013-11", "2013-12"]
    assert without == [*between_jobs, "2014-01", "2014-02", "2023-03"]
    assert len(months) == len(set(months)) == GEORGE_CONTRIBUTIONS > 150, "more than a page"
    for item in items:
        day = date.fromisoformat(item["date"])
        assert records.month_end(day.year, day.month) == day
        assert item["currency"] == "PHP"
    assert len({item["amount"] for item in items}) >= 5, "amounts step with the salary"
    by_month = {item["date"][:7]: item["amount"] for item in items}
    assert by_month["2010-12"] < by_month["2011-01"], "Ortigas Land's raise of 2011"


def test_georges_hourly_upwork_contracts_are_paid_weekly_over_more_than_a_page():
    incomes = generate("george", "upwork")["incomes"]
    assert len(incomes) > 150
    weekly = [income for income in incomes if income["frequency"] == "Weekly"]
    assert {income["employer"] for income in weekly} == {
        "Bayanihan Digital Co.",
        "Harbor Analytics Ltd.",
    }
    for income in weekly:
        start, end = date.fromisoformat(income["startDate"]), date.fromisoformat(income["endDate"])
        assert start.weekday() == 0 and (end - start).days == 6, "Monday to Sunday"
        assert income["endDate"] <= "2025-10-31", "only weeks that ended by last month's end"
    assert weekly[-1]["startDate"] == "2025-10-20"


def test_generation_is_a_pure_function_of_its_inputs():
    assert generate("george", "sss_ph") == generate("george", "sss_ph")
    later = generate("george", "sss_ph", today=date(2026, 3, 2))["contributions"]
    assert later[-1]["date"] == "2026-02-28"
    assert later[:GEORGE_CONTRIBUTIONS] == generate("george", "sss_ph")["contributions"]


def _figures(generated: dict) -> dict:
    """The records without what belongs to one account (ids and metadata)."""
    return {
        kind: [{k: v for k, v in item.items() if k not in ("id", "metadata")} for item in items]
        for kind, items in generated.items()
    }


@pytest.mark.parametrize("provider", ["sss_ph", "upwork", "grab"])
def test_two_accounts_of_one_person_hold_the_same_figures(provider):
    first, second = generate("george", provider, "a-1"), generate("george", provider, "a-2")
    assert _figures(first) == _figures(second)
    assert first["incomes" if "incomes" in first else "contributions"]


def test_connecting_george_twice_gives_the_same_amounts(sandbox, api):
    """The audit's case: the same person on Upwork, once per user, same incomes both times."""
    connected = []
    for reference in ("APP-1", "APP-2"):
        user_id = api.create_user(reference=reference)
        account = sandbox.connect(user_id, "upwork", "george", "123456")
        items = [
            item
            for page in api.pages("/incomes", sourceId=account["id"], size=150)
            for item in page.data["items"]
        ]
        connected.append(items)
    first, second = connected
    # Two contracts start on 2021-03-01: their order on a page follows the (random) ids.
    amounts = [
        {(i["employer"], i["startDate"]): i["grossAmount"] for i in items} for items in connected
    ]
    assert len(amounts[0]) == len(first) > 150
    assert amounts[0] == amounts[1]
    assert {item["id"] for item in first}.isdisjoint(item["id"] for item in second)


def test_ids_differ_between_accounts_and_within_one():
    first, second = generate("george", "sss_ph", "a-1"), generate("george", "sss_ph", "a-2")
    ids = [r["id"] for kind in first.values() for r in kind]
    other = [r["id"] for kind in second.values() for r in kind]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(other)


def test_amounts_have_at_most_two_decimals():
    for key, provider in (("george", "upwork"), ("george", "grab"), ("anisha", "freelancer")):
        for income in generate(key, provider)["incomes"]:
            for name in ("baseAmount", "grossAmount", "netAmount"):
                assert round(income[name], 2) == income[name]
                assert not isinstance(income[name], str)


@pytest.mark.parametrize("key", list(people.PEOPLE))
def test_everyone_has_data_on_at_least_two_providers(key):
    person = people.PEOPLE[key]
    with_data = [
        provider
        for provider in ("sss_ph", "upwork", "freelancer", "grab", "199jobs")
        if any(items for kind, items in generate(key, provider).items() if kind != "identities")
    ]
    assert len(with_data) >= 2, with_data
    assert with_data == [
        p
        for p in ("sss_ph", "upwork", "freelancer", "grab", "199jobs")
        if p in person.providers_with_history()
    ]


def test_identity_only_providers_hold_only_an_identity():
    for provider in ("nbi_ph", "tin_ph", "prclicense_ph"):
        generated = generate("george", provider)
        assert list(generated) == ["identities"]
        assert len(generated["identities"]) == 1
