"""admin_scale: the reviewers' queue and the employment history page, at 100,000 applicants.

Two databases, generated once and reused while their marker matches (bench.admin_data):
bench_admin_large (100,000 applicants, ~1,000,000 contributions) and bench_admin_small
(10 applicants). Both hold the same history applicant (20 years of contributions).

In-process, with Django's test Client against PostgreSQL (no HTTP server: the time is the
view's, and queries are counted exactly with CaptureQueriesContext). Both databases stay
connected (one Django connection object each, swapped in as "default"), and every round
requests each page once from each database, alternating which goes first, so noise from the
shared machine lands on both sides of the ratio.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from typing import Any

from bench import admin_data, environment, postgres, report
from bench.stats import percentile, ratio

LARGE, SMALL = "bench_admin_large", "bench_admin_small"
SIZES = {LARGE: 100_000, SMALL: 10}
QUEUE = "/admin/verifications/applicant/"
# page name -> (path, the seed_demo user who opens it)
PAGES = {
    "queue": (QUEUE, "reviewer"),
    "queue ?status__exact=ready": (QUEUE + "?status__exact=ready", "reviewer"),
    "history": ("/history/{history_pk}/", "officer"),
}
TARGET_QUERIES = 12
TARGET_RATIO = 3.0


@dataclass
class Side:
    """One database as the benchmark sees it: its connection, clients and measurements."""

    name: str
    connection: Any
    clients: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    queries: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    applicants: int = 0
    contributions: int = 0


def prepare(name: str) -> float:
    """Make `name` hold the current dataset; seconds spent generating (0 when reused)."""
    postgres.create(name)
    postgres.manage(name, "migrate", "--noinput")
    with postgres.connect(name) as conn:
        if admin_data.current_marker(conn) == admin_data.marker(conn, SIZES[name]):
            conn.execute("TRUNCATE verifications_auditentry, django_session")
            return 0.0
    started = time.perf_counter()
    postgres.drop(name)  # generated for other code or parameters: start again
    postgres.create(name)
    postgres.manage(name, "migrate", "--noinput")
    postgres.manage(name, "seed_demo", "--password", environment.DEMO_PASSWORD, "--force")
    admin_data.generate(name, applicants=SIZES[name], with_contributions=name == LARGE)
    return time.perf_counter() - started


def use(side: Side) -> None:
    """Make `side`'s connection the one every ORM call and view uses."""
    from django.db import connections

    connections._connections.default = side.connection


def open_side(name: str) -> Side:
    from django.db import connections
    from django.db.utils import load_backend

    settings_dict = {**connections.settings["default"], "NAME": name}
    backend = load_backend(settings_dict["ENGINE"])
    return Side(name, backend.DatabaseWrapper(settings_dict, "default"))


def set_up(side: Side) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from verifications.models import Applicant, Contribution

    use(side)
    users = get_user_model().objects
    for page, (path, username) in PAGES.items():
        client = Client()
        client.force_login(users.get(username=username))
        side.clients[page] = client
        history_pk = Applicant.objects.get(external_reference=admin_data.HISTORY_REFERENCE).pk
        side.paths[page] = path.format(history_pk=history_pk)
        side.times[page] = []
    side.applicants = Applicant.objects.count()
    side.contributions = Contribution.objects.count()


def get(side: Side, page: str) -> float:
    started = time.perf_counter()
    response = side.clients[page].get(side.paths[page])
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{side.name} {side.paths[page]} answered {response.status_code}")
    return elapsed


def count_queries(side: Side) -> None:
    from django.test.utils import CaptureQueriesContext

    use(side)
    for page in PAGES:
        get(side, page)  # warm: the first request of a client builds caches
        with CaptureQueriesContext(side.connection) as captured:
            get(side, page)
        side.queries[page] = list(captured.captured_queries)


def explain(side: Side, sql: str) -> str:
    use(side)
    with side.connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def run(*, rounds: int = 30, show_explain: bool = False) -> dict[str, Any]:
    generated = {name: prepare(name) for name in (SMALL, LARGE)}
    environment.setup_django(LARGE)
    from django.contrib.contenttypes.models import ContentType

    sides = {name: open_side(name) for name in (LARGE, SMALL)}
    content_types = []
    for side in sides.values():
        set_up(side)
        content_types.append(list(ContentType.objects.order_by("pk").values_list()))
    # One process, one ContentType cache: both databases must number content types alike.
    if content_types[0] != content_types[1]:
        raise RuntimeError("the two databases number their content types differently")
    for side in sides.values():
        count_queries(side)

    for round_number in range(rounds):
        order = list(sides.values())
        if round_number % 2:
            order.reverse()
        for side in order:
            use(side)
            for page in PAGES:
                side.times[page].append(get(side, page))
    use(sides[LARGE])

    large, small = sides[LARGE], sides[SMALL]
    rows, p95_ratio, queries = [], {}, {}
    for page in PAGES:
        queries[page] = len(large.queries[page])
        p95_ratio[page] = ratio(
            percentile(large.times[page], 95), percentile(small.times[page], 95)
        )
        rows.append(
            [
                page,
                PAGES[page][1],
                len(small.queries[page]),
                queries[page],
                percentile(small.times[page], 50),
                percentile(small.times[page], 95),
                percentile(large.times[page], 50),
                percentile(large.times[page], 95),
                p95_ratio[page],
            ]
        )
    queue_pages = [page for page in PAGES if page.startswith("queue")]
    keys = {
        "queue_queries": max(queries[page] for page in queue_pages),
        "history_queries": queries["history"],
        "queue_p95_ratio": round(max(p95_ratio[page] for page in queue_pages), 2),
        "history_p95_ratio": round(p95_ratio["history"], 2),
        "queue_p95_ms": round(percentile(large.times["queue"], 95), 2),
        "queue_ready_p95_ms": round(percentile(large.times["queue ?status__exact=ready"], 95), 2),
        "history_p95_ms": round(percentile(large.times["history"], 95), 2),
        "admin_scale_applicants": large.applicants,
        "admin_scale_contributions": large.contributions,
        "admin_scale_rounds": rounds,
    }
    print(
        report.table(
            f"admin_scale: {rounds} requests per page and database, in-process test Client, "
            f"PostgreSQL; small = {small.applicants:,} applicants, large = "
            f"{large.applicants:,} applicants / {large.contributions:,} contributions",
            [
                *("page", "as", "queries small", "queries large", "p50 small ms"),
                *("p95 small ms", "p50 large ms", "p95 large ms", "p95 ratio"),
            ],
            rows,
        )
    )
    if any(generated.values()):
        spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in generated.items())
        print(f"generated the datasets this run: {spent}")
    print("slowest queries on the large database (one request each):")
    for page in PAGES:
        slowest = sorted(large.queries[page], key=lambda q: float(q["time"]), reverse=True)[:3]
        for query in slowest:
            sql = " ".join(query["sql"].split())
            print(f"  {page:<28} {float(query['time']) * 1000:8.1f} ms  {sql[:150]}")
            if show_explain:
                print("    " + explain(large, query["sql"]).replace("\n", "\n    "))
    for name, value, target in (
        ("queue_queries", keys["queue_queries"], TARGET_QUERIES),
        ("history_queries", keys["history_queries"], TARGET_QUERIES),
        ("queue_p95_ratio", keys["queue_p95_ratio"], TARGET_RATIO),
        ("history_p95_ratio", keys["history_p95_ratio"], TARGET_RATIO),
    ):
        print(f"{name} {value:g} {report.verdict(value, target, at_most=True)}")
    report.record("admin_scale", keys)
    return keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench admin_scale")
    parser.add_argument("--rounds", type=int, default=30, help="requests per page and database")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest queries"
    )
    args = parser.parse_args(argv)
    run(rounds=args.rounds, show_explain=args.explain)
