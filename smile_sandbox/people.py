"""The four sandbox people (smile-api.md, "Sandbox behaviour") and their working lives.

Anyone can log in to any provider as one of them; a provider where the person has no history
still returns their identity. The histories below are facts the portal's tests can rely on:

- George: sss_ph (6 employers 1992-today, an 8-month gap 2013-07..2014-02, contributions from
  2002-01 with none in the gap and 2023-03 missing: over 150, two pages at size 150), upwork
  (3 contracts, two overlapping; the two hourly ones are paid weekly: over 150 incomes),
  grab (driver since 2021, the platform shows the last 12 months).
- Ryan: upwork and freelancer (contracts and incomes in USD), 199jobs (employments).
- Christina: sss_ph (2 employers, a gap 2020-04..2021-01, 2022-08 missing), grab, 199jobs.
- Anisha: freelancer and upwork (USD incomes).
"""

from __future__ import annotations

import re
from datetime import date

from smile_sandbox.careers import Gig, Job, Person, address

MFA_CODE = "1234"


_AVATAR = "https://cdn.smileapi.io/image/avatar/v20211115191600/{}.jpg"

# George is the spec's `/identities` example, plus his sandbox login email and phone.
GEORGE = Person(
    key="george",
    password="123456",  # noqa: S106 - the published sandbox password
    email="gpalomero1234@smileapi.io",
    phone="+639559991234",
    identity={
        "fullName": "George Cimafranca Palomero, Jr",
        "firstName": "George",
        "middleName": "Cimafranca",
        "lastName": "Palomero",
        "suffix": "Jr",
        "gender": "Male",
        "dob": "1970-08-24",
        "maritalStatus": "Married",
        "countryResidence": "PH",
        "citizenship": "Citizen",
        "photoUrl": _AVATAR.format("george"),
        "profileUrl": "https://upwork.com/profiles/george.jpg",
        "emails": [
            {"address": "gpalomero1234@yahoo.com", "type": "Primary"},
            {"address": "gpalomero1234@smileapi.io", "type": "Secondary"},
        ],
        "phones": [
            {"number": "+639175551234", "type": "Mobile"},
            {"number": "+639559991234", "type": "Mobile"},
        ],
        "socialProfiles": [{"socialUrl": "https://www.facebook.com/gpalomero", "type": "Facebook"}],
        "addresses": [
            {
                "fullAddress": "12 Maybunga St, Barangay Paraiso, Pasig City, NCR, 1600, PH",
                "line1": "12 Maybunga St",
                "line2": "Barangay Paraiso",
                "city": "Pasig City",
                "region": "NCR",
                "zip": "1600",
                "country": "PH",
                "latitude": "14.573454",
                "longitude": "121.085042",
                "type": "Primary",
            }
        ],
    },
    reference_ids={"sss_ph": "3300000008"},
    default_reference_id="george",
    jobs=(
        Job(
            "Maybunga Foods Corporation",
            "Service Crew",
            "Store Operations",
            date(1992, 6, 1),
            date(1996, 3, 31),
            ((date(1992, 6, 1), 3200.0), (date(1994, 7, 1), 4100.0)),
            "MFC-10234",
            "ER-0310234561",
        ),
        Job(
            "Pacific Beverages Inc.",
            "Sales Representative",
            "Sales",
            date(1996, 5, 15),
            date(2001, 8, 31),
            ((date(1996, 5, 15), 6500.0), (date(1999, 1, 1), 8200.0)),
            "PBI-55102",
            "ER-0320451178",
        ),
        Job(
            "Luzon Telecom Corporation",
            "Account Manager",
            "Enterprise Sales",
            date(2001, 9, 17),
            date(2007, 12, 31),
            ((date(2001, 9, 17), 11000.0), (date(2005, 1, 1), 13500.0)),
            "LTC-88410",
            "ER-0330987622",
        ),
        Job(
            "Ortigas Land Inc.",
            "Senior Sales Manager",
            "Residential Sales",
            # Starts two weeks after Luzon Telecom: January 2008 is paid, the only gap is 2013.
            date(2008, 1, 14),
            date(2013, 6, 30),
            ((date(2008, 1, 14), 12500.0), (date(2011, 1, 1), 14000.0)),
            "OLI-20871",
            "ER-0341122093",
        ),
        Job(
            "Pasig Savings Bank",
            "Branch Operations Head",
            "Branch Banking",
            date(2014, 3, 3),
            date(2019, 10, 31),
            (
                (date(2014, 3, 3), 14000.0),
                (date(2017, 1, 1), 15500.0),
                (date(2018, 7, 1), 18000.0),
            ),
            "PSB-04417",
            "ER-0351876540",
        ),
        Job(
            "Archipelago Logistics Inc.",
            "Operations Manager",
            "Operations",
            date(2019, 11, 4),
            None,
            (
                (date(2019, 11, 4), 22000.0),
                (date(2022, 1, 1), 26000.0),
                (date(2024, 7, 1), 31000.0),
            ),
            "ALI-31190",
            "ER-0362201877",
            description="Runs warehouse and last-mile delivery operations for Metro Manila.",
        ),
    ),
    missed_months=frozenset({"2023-03"}),
    gigs={
        "upwork": (
            Gig(
                "Northwind Traders LLC",
                "Freelance Bookkeeper",
                date(2020, 2, 10),
                date(2021, 6, 30),
                450.0,
                "USD",
                description="Monthly bookkeeping and reconciliations in QuickBooks.",
            ),
            # Overlaps the bookkeeping contract (2021-03..2021-06) on purpose. Hourly
            # contracts: Upwork bills them weekly, so these two make most of the incomes.
            Gig(
                "Bayanihan Digital Co.",
                "Virtual Assistant",
                date(2021, 3, 1),
                date(2022, 1, 31),
                380.0,
                "USD",
                frequency="Weekly",
            ),
            Gig(
                "Harbor Analytics Ltd.",
                "Operations Consultant",
                date(2023, 5, 15),
                None,
                600.0,
                "USD",
                frequency="Weekly",
            ),
        ),
        "grab": (
            Gig(
                "Grab Philippines",
                "GrabCar Driver Partner",
                date(2021, 9, 1),
                None,
                14000.0,
                "PHP",
                frequency="Semimonthly",
                fee=0.20,
                history_months=12,
                status="Partner",
            ),
        ),
    },
)

RYAN = Person(
    key="ryan",
    password="654321",  # noqa: S106
    email="ryan1234@smileapi.io",
    phone="+628119994321",
    identity={
        "fullName": "Ryan Lestari",
        "firstName": "Ryan",
        "middleName": None,
        "lastName": "Lestari",
        "suffix": None,
        "gender": "Male",
        "dob": "1995-06-24",
        "maritalStatus": "Single",
        "countryResidence": "ID",
        "citizenship": "Citizen",
        "photoUrl": _AVATAR.format("ryan"),
        "profileUrl": "https://www.upwork.com/freelancers/~02c0bf6ae6a581ee2b",
        "emails": [{"address": "ryan1234@smileapi.io", "type": "Primary"}],
        "phones": [{"number": "+628119994321", "type": "Mobile"}],
        "socialProfiles": [
            {"socialUrl": "https://www.facebook.com/ryanlestari", "type": "Facebook"},
            {"socialUrl": "https://www.twitter.com/xklxyz", "type": "Twitter"},
        ],
        "addresses": [
            address(
                "Jl. Kebon Sirih No. 24",
                "Menteng",
                "Jakarta Pusat",
                "DKI Jakarta",
                "10340",
                "ID",
                "-6.184500",
                "106.829600",
            )
        ],
    },
    reference_ids={"upwork": "~02c0bf6ae6a581ee2b"},
    default_reference_id="ryan1234",
    gigs={
        "upwork": (
            Gig("Lumen Apps Inc.", "Mobile Developer", date(2022, 1, 10), None, 2400.0, "USD"),
        ),
        "freelancer": (
            Gig(
                "Kopi Kita Pte Ltd",
                "Logo Designer",
                date(2021, 4, 1),
                date(2021, 9, 30),
                300.0,
                "USD",
            ),
            Gig("Batik Works", "Web Designer", date(2022, 6, 1), date(2023, 2, 28), 900.0, "USD"),
        ),
        "199jobs": (
            Gig(
                "Nusantara Tech",
                "Junior Developer",
                date(2018, 7, 1),
                date(2021, 3, 31),
                0.0,
                "IDR",
            ),
        ),
    },
)

CHRISTINA = Person(
    key="christina",
    password="YGUS1",  # noqa: S106
    email="christina4321@smileapi.io",
    phone="+6599996789",
    identity={
        "fullName": "Christina Tan",
        "firstName": "Christina",
        "middleName": "dela Cruz",
        "lastName": "Tan",
        "suffix": None,
        "gender": "Female",
        "dob": "1997-02-12",
        "maritalStatus": "Single",
        "countryResidence": "PH",
        "citizenship": "Citizen",
        "photoUrl": _AVATAR.format("christina"),
        "profileUrl": None,
        "emails": [{"address": "christina4321@smileapi.io", "type": "Primary"}],
        "phones": [
            {"number": "+6599996789", "type": "Mobile"},
            {"number": "+639226789888", "type": "Mobile"},
        ],
        "socialProfiles": [],
        "addresses": [
            address(
                "45 Osmena Blvd",
                "Barangay Kamputhaw",
                "Cebu City",
                "Central Visayas",
                "6000",
                "PH",
                "10.309200",
                "123.893000",
            )
        ],
    },
    reference_ids={"sss_ph": "3400000017"},
    jobs=(
        Job(
            "Mactan Catering Services Inc.",
            "Kitchen Staff",
            "Food Production",
            date(2018, 6, 1),
            date(2020, 3, 31),
            ((date(2018, 6, 1), 11000.0), (date(2019, 6, 1), 12500.0)),
            "MCS-7731",
            "ER-0710443290",
            status="Contractual",
        ),
        Job(
            "Visayas Medical Center",
            "Patient Services Associate",
            "Patient Services",
            date(2021, 2, 1),
            None,
            ((date(2021, 2, 1), 16000.0), (date(2023, 1, 1), 19500.0)),
            "VMC-11876",
            "ER-0720981134",
        ),
    ),
    missed_months=frozenset({"2022-08"}),
    gigs={
        "grab": (
            Gig(
                "Grab Philippines",
                "GrabFood Delivery Partner",
                date(2020, 5, 1),
                date(2021, 1, 31),
                9000.0,
                "PHP",
                frequency="Semimonthly",
                fee=0.20,
                status="Partner",
            ),
        ),
        "199jobs": (
            Gig(
                "Cebu Learning Hub",
                "Part-time English Tutor",
                date(2019, 1, 5),
                date(2020, 12, 31),
                0.0,
                "PHP",
            ),
        ),
    },
)

ANISHA = Person(
    key="anisha",
    password="123456",  # noqa: S106
    email="anisha98765@smileapi.io",
    phone="+919511198765",
    identity={
        "fullName": "Anisha Bhatia",
        "firstName": "Anisha",
        "middleName": None,
        "lastName": "Bhatia",
        "suffix": None,
        "gender": "Female",
        "dob": "1992-11-03",
        "maritalStatus": "Married",
        "countryResidence": "IN",
        "citizenship": "Citizen",
        "photoUrl": _AVATAR.format("anisha"),
        "profileUrl": None,
        "emails": [{"address": "anisha98765@smileapi.io", "type": "Primary"}],
        "phones": [{"number": "+919511198765", "type": "Mobile"}],
        "socialProfiles": [
            {"socialUrl": "https://www.linkedin.com/in/anishabhatia", "type": "LinkedIn"}
        ],
        "addresses": [
            address(
                "18 Koregaon Park Rd",
                None,
                "Pune",
                "Maharashtra",
                "411001",
                "IN",
                "18.536200",
                "73.893900",
            )
        ],
    },
    default_reference_id="anisha98765",
    gigs={
        "freelancer": (
            Gig(
                "Quill Content Ltd",
                "Technical Writer",
                date(2020, 8, 1),
                date(2022, 3, 31),
                1100.0,
                "USD",
            ),
            Gig("Sahyadri Foods", "Data Analyst", date(2023, 9, 1), None, 1500.0, "USD"),
        ),
        "upwork": (
            Gig(
                "Brightline Media", "Copy Editor", date(2022, 2, 1), date(2023, 7, 31), 700.0, "USD"
            ),
        ),
    },
)

PEOPLE: dict[str, Person] = {person.key: person for person in (GEORGE, RYAN, CHRISTINA, ANISHA)}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def find_person(login: str) -> Person | None:
    """The person a login names: first name (any case), email (any case) or phone (spaces ok)."""
    login = login.strip()
    lowered = login.lower()
    digits = _digits(login)
    for person in PEOPLE.values():
        if lowered in (person.key, person.email.lower()):
            return person
        # A phone needs most of its digits: "+63 9559991234" or "639559991234".
        if len(digits) >= 8 and digits == _digits(person.phone):
            return person
    return None


def authenticate(login: str, password: str) -> Person | None:
    """The person when login and password match, else None (passwords are case-sensitive)."""
    person = find_person(login)
    if person is None or password != person.password:
        return None
    return person
