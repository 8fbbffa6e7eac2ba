"""Create demo users (one per role, plus the superuser `admin`) and a few sample applicants.

Idempotent: users and applicants are matched by username and external reference. Passwords
are set on every run and printed, so whoever runs `make run` can log in.
"""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import roles
from accounts.roles import sync_roles
from verifications.models import Applicant

DEMO_USERS = [
    # username, role (None: superuser), first name
    ("admin", None, "Ada"),
    ("staff", roles.STAFF, "Sam"),
    ("reviewer", roles.REVIEWER, "Rita"),
    ("officer", roles.LOAN_OFFICER, "Omar"),
    ("supervisor", roles.SUPERVISOR, "Susan"),
]

# What each sandbox person would tell a lender; they can connect with the sandbox logins.
DEMO_APPLICANTS = [
    {
        "external_reference": "DEMO-0001",
        "first_name": "George",
        "last_name": "Palomero",
        "date_of_birth": datetime.date(1970, 8, 24),
        "address": "12 Maybunga St, Barangay Paraiso, Pasig City, NCR 1600",
        "email": "gpalomero1234@smileapi.io",
        "phone": "+639559991234",
    },
    {
        "external_reference": "DEMO-0002",
        "first_name": "Ryan",
        "last_name": "Lestari",
        "email": "ryan1234@smileapi.io",
        "phone": "+628119994321",
    },
    {
        "external_reference": "DEMO-0003",
        "first_name": "Christina",
        "last_name": "Tan",
        "email": "christina4321@smileapi.io",
        "phone": "+6599996789",
    },
    {
        "external_reference": "DEMO-0004",
        "first_name": "Anisha",
        "last_name": "Bhatia",
        "email": "anisha98765@smileapi.io",
        "phone": "+919511198765",
    },
]


class Command(BaseCommand):
    help = "Create demo users (admin, staff, reviewer, officer, supervisor) and sample applicants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help="Use this password for every demo user instead of random ones (tests, demos).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG=false (a demo or test database that runs production-like).",
        )

    @transaction.atomic
    def handle(self, *args, password: str | None = None, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            # Run by mistake on a production database, this would hand out a superuser
            # `admin` with a password printed on a terminal.
            raise CommandError(
                "seed_demo sets the passwords of the users admin, staff, reviewer, officer and "
                "supervisor "
                "and makes admin a superuser. DEBUG is false, so this looks like production: "
                "nothing was changed. Pass --force if this is a demo or test database."
            )
        sync_roles()  # the groups normally exist from the migrations; make sure of it
        User = get_user_model()
        lines = []
        for username, role, first_name in DEMO_USERS:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first_name, "email": f"{username}@example.com"},
            )
            user.is_staff = True
            user.is_superuser = role is None
            chosen = password or secrets.token_urlsafe(12)
            user.set_password(chosen)
            user.save()
            if role:
                user.groups.set([Group.objects.get(name=role)])
            lines.append(f"  {username:<10} {chosen:<20} {role or 'superuser'}")

        created = 0
        staff = User.objects.get(username="staff")
        for fields in DEMO_APPLICANTS:
            _, was_created = Applicant.objects.get_or_create(
                external_reference=fields["external_reference"],
                defaults={**fields, "created_by": staff},
            )
            created += was_created

        self.stdout.write("Demo users (log in at /admin/):")
        self.stdout.write("  username   password             role")
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"Sample applicants: {len(DEMO_APPLICANTS)} ({created} new).")
