"""The reviewers' world at scale, generated inside PostgreSQL (INSERT … SELECT generate_series).

Shape (applicants are spread over three years, oldest first, and move on with age):

- applicants: oldest 85% mostly decided (approved 55%, rejected 25%, more information 5%) or
  stuck (invited 10%, new 5%); the next 12% in review (ready 40% — about 4,800, the
  `status=ready` filter —, connected 10%, more information 15%, invited 20%, new 15%); the
  newest 3% new, invited or connected. Decided ones are assigned to one of 10 reviewers,
  half of those ready too. Flags and data completeness are set as review.py would.
- everyone invited or further: a Smile user and an invite; everyone connected or further
  (about 81,000): one linked account, a third of them two (about 108,000 accounts), each
  with an identity, two employments and a sync run; decided ones a decision.
- contributions: 10,000 of those applicants have an sss_ph account with 100 monthly
  contributions (8 years 4 months) each: 1,000,000 rows. Gig accounts (grab, upwork,
  freelancer, 199jobs) have none, as at Smile.
- one more applicant, BENCH-HISTORY, is the loan officer's page: 20 years of monthly
  contributions over two sss_ph accounts (2 x 120), a grab account with incomes, 8
  employments with a gap, three identities.

Records carry a `raw` JSON document shaped like Smile's, so rows have realistic widths.
"""

from __future__ import annotations

import hashlib
import json

import psycopg
from psycopg import sql

from bench import postgres

DATASET_VERSION = 2
HISTORY_REFERENCE = "BENCH-HISTORY"
REVIEWERS = 10  # `reviewer` from seed_demo and reviewer01..09
SSS_ACCOUNTS = 10_000
CONTRIBUTIONS_PER_ACCOUNT = 100


def marker(conn: psycopg.Connection, applicants: int) -> str:
    """What the data was generated for: the parameters and the migrations it ran on."""
    migrations = conn.execute(
        "SELECT app, name FROM django_migrations ORDER BY app, name"
    ).fetchall()
    text = json.dumps([DATASET_VERSION, applicants, SSS_ACCOUNTS, migrations])
    return hashlib.sha256(text.encode()).hexdigest()


def current_marker(conn: psycopg.Connection) -> str | None:
    conn.execute("CREATE TABLE IF NOT EXISTS bench_dataset (marker text NOT NULL)")
    row = conn.execute("SELECT marker FROM bench_dataset").fetchone()
    return row[0] if row else None


def generate(database: str, *, applicants: int, with_contributions: bool) -> None:
    """Fill a migrated, seeded database so that it holds `applicants` applicants in all."""
    with postgres.connect(database) as conn:
        with conn.transaction():
            _reviewers(conn)
            existing = conn.execute("SELECT count(*) FROM verifications_applicant").fetchone()[0]
            count = applicants - existing - 1  # and the history page's applicant
            _applicants(conn, count, sss_accounts=SSS_ACCOUNTS if with_contributions else 0)
            _reset_sequences(conn)  # applicants were inserted with explicit ids
            _history_applicant(conn)
            current_marker(conn)  # creates the marker table
            conn.execute("DELETE FROM bench_dataset")
            conn.execute("INSERT INTO bench_dataset VALUES (%s)", [marker(conn, applicants)])
        conn.execute("VACUUM ANALYZE")


def _reset_sequences(conn: psycopg.Connection) -> None:
    for table in ("verifications_applicant", "accounts_user"):
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                "coalesce((SELECT max(id) FROM {table}), 1))"
            ).format(name=sql.Literal(table), table=sql.Identifier(table))
        )


def _reviewers(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
        SELECT '!', false, 'reviewer' || to_char(n, 'FM00'), 'Reviewer', to_char(n, 'FM00'),
               'reviewer' || n || '@example.com', true, true, now()
        FROM generate_series(1, %s) n
        ON CONFLICT (username) DO NOTHING
        """,
        [REVIEWERS - 1],
    )
    conn.execute(
        """
        INSERT INTO accounts_user_groups (user_id, group_id)
        SELECT u.id, g.id FROM accounts_user u, auth_group g
        WHERE u.username LIKE 'reviewer%%' AND g.name = 'Compliance reviewer'
        ON CONFLICT DO NOTHING
        """,
        {},
    )


# Per applicant: its plan (status by age, reviewer, flags), in a temporary table.
_PLAN = """
CREATE TEMP TABLE plan ON COMMIT DROP AS
WITH base AS (
    SELECT coalesce(max(id), 0) AS first_id FROM verifications_applicant
), reviewers AS (
    SELECT array_agg(id ORDER BY username) AS ids
    FROM accounts_user WHERE username LIKE 'reviewer%%'
), numbered AS (
    SELECT i, i::float8 / %(count)s AS age_rank, (i * 2654435761 %% 1000) / 10.0 AS h
    FROM generate_series(1, %(count)s) i
)
SELECT
    base.first_id + i AS id, i, h,
    now() - interval '3 years' * (1 - age_rank) AS created_at,
    CASE
        WHEN age_rank < 0.85 THEN CASE
            WHEN h < 55 THEN 'approved' WHEN h < 80 THEN 'rejected' WHEN h < 85 THEN 'more_info'
            WHEN h < 95 THEN 'invited' ELSE 'new' END
        WHEN age_rank < 0.97 THEN CASE
            WHEN h < 40 THEN 'ready' WHEN h < 50 THEN 'connected' WHEN h < 65 THEN 'more_info'
            WHEN h < 85 THEN 'invited' ELSE 'new' END
        ELSE CASE WHEN h < 20 THEN 'connected' WHEN h < 60 THEN 'invited' ELSE 'new' END
    END AS status,
    reviewers.ids[1 + i %% array_length(reviewers.ids, 1)] AS reviewer
FROM numbered, base, reviewers
"""

_APPLICANTS = """
INSERT INTO verifications_applicant (
    id, first_name, middle_name, last_name, suffix, date_of_birth, address, email, phone,
    external_reference, status, smile_user_error, assigned_at, created_at, updated_at,
    assigned_to_id, created_by_id, completeness, flag_employment_gap, flag_identity_mismatch,
    flag_missing_contributions)
SELECT
    p.id,
    (ARRAY['Maria', 'Jose', 'Ana', 'Juan', 'Liza', 'Mark', 'Grace', 'Paolo', 'Rosa', 'Carlo'])
        [1 + p.i %% 10],
    '',
    (ARRAY['Santos', 'Reyes', 'Cruz', 'Bautista', 'Garcia', 'Mendoza', 'Torres', 'Flores'])
        [1 + p.i %% 8],
    '', date '1960-01-01' + (p.i * 7919 %% 15000), 'Pasig City, NCR',
    'applicant' || p.i || '@example.com', '+63917' || lpad((p.i %% 10000000)::text, 7, '0'),
    'BENCH-' || lpad(p.i::text, 7, '0'), p.status, '',
    CASE WHEN assigned THEN p.created_at + interval '5 days' END,
    p.created_at, p.created_at + interval '10 days',
    CASE WHEN assigned THEN p.reviewer END,
    (SELECT id FROM accounts_user WHERE username = 'staff'),
    CASE WHEN connected THEN jsonb_build_object(
        'IDENTITIES', synced, 'EMPLOYMENTS', synced, 'CONTRIBUTIONS', synced)
    ELSE '{}'::jsonb END,
    connected AND p.h::int %% 7 = 0, connected AND p.h::int %% 11 = 0,
    connected AND p.h::int %% 5 = 0
FROM (
    SELECT plan.*,
        status IN ('approved', 'rejected', 'more_info') OR (status = 'ready' AND i %% 2 = 0)
            AS assigned,
        status IN ('connected', 'ready', 'more_info', 'approved', 'rejected') AS connected,
        jsonb_build_object('state', 'synced', 'at', created_at + interval '1 day') AS synced
    FROM plan
) p
"""

_SMILE_USERS_AND_INVITES = """
INSERT INTO verifications_smileuser (smile_id, external_metadata, smile_created_at, created_at,
                                     applicant_id)
SELECT 'sandbox-' || md5('user' || id), jsonb_build_object('reference', 'BENCH-' || i),
       created_at, created_at, id
FROM plan WHERE status <> 'new';

INSERT INTO verifications_invite (token_hash, created_at, expires_at, sent_to, sent_at,
                                  opened_at, connected_at, applicant_id, created_by_id)
SELECT md5('invite' || id) || md5('token' || id), created_at + interval '1 hour',
       created_at + interval '7 days 1 hour', 'applicant' || i || '@example.com',
       created_at + interval '1 hour',
       CASE WHEN status <> 'invited' THEN created_at + interval '1 day' END,
       CASE WHEN status <> 'invited' THEN created_at + interval '1 day' END,
       id, (SELECT id FROM accounts_user WHERE username = 'staff')
FROM plan WHERE status <> 'new';

INSERT INTO verifications_decision (outcome, reason_code, note, override_note, from_status,
                                    to_status, decided_at, applicant_id, decided_by_id)
SELECT CASE status WHEN 'approved' THEN 'approve' WHEN 'rejected' THEN 'reject'
                   ELSE 'request_info' END,
       CASE status WHEN 'approved' THEN 'verified' WHEN 'rejected' THEN 'identity_mismatch'
                   ELSE 'explain_gap' END,
       '', '', 'ready', status, created_at + interval '10 days', id, reviewer
FROM plan WHERE status IN ('approved', 'rejected', 'more_info');
"""

# Accounts: slot 1 for everyone connected or further, slot 2 for a third of them. The first
# SSS_ACCOUNTS applicants (by i) with i % 8 = 0 get sss_ph in slot 1.
_ACCOUNTS = """
CREATE TEMP TABLE plan_account ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY p.i, slot) AS n, p.id AS applicant_id, p.i, p.created_at,
       slot,
       CASE WHEN slot = 1 AND sss THEN 'sss_ph'
            ELSE (ARRAY['grab', 'upwork', 'freelancer', '199jobs'])[1 + (p.i + slot) %% 4]
       END AS provider
FROM (
    SELECT plan.*, (i %% 8 = 0 AND row_number() OVER (PARTITION BY i %% 8 = 0 ORDER BY i)
                    <= %(sss_accounts)s) AS sss
    FROM plan WHERE status IN ('connected', 'ready', 'more_info', 'approved', 'rejected')
) p
CROSS JOIN LATERAL generate_series(1, CASE WHEN p.i %% 3 = 0 THEN 2 ELSE 1 END) slot;

INSERT INTO verifications_linkedaccount (smile_id, provider_id, connection_status, error_code,
    error_message, monitor_status, login_name, smile_created_at, last_synced_at, raw,
    created_at, updated_at, applicant_id, task_error)
SELECT 'a-' || md5('account' || n), provider, 'CONNECTED', '', '', 'ACTIVE',
       'applicant' || i, created_at + interval '1 day', created_at + interval '1 day',
       jsonb_build_object('id', 'a-' || md5('account' || n), 'providerId', provider,
                          'userId', 'sandbox-' || md5('user' || applicant_id),
                          'connectionStatus', 'CONNECTED'),
       created_at + interval '1 day', created_at + interval '1 day', applicant_id, ''
FROM plan_account;

CREATE TEMP TABLE account_ids ON COMMIT DROP AS
SELECT la.id, la.smile_id, la.provider_id, la.applicant_id, la.created_at,
       la.created_at::date AS anchor
FROM verifications_linkedaccount la
JOIN plan_account pa ON la.smile_id = 'a-' || md5('account' || pa.n);
"""

# Records hang off account_ids (the accounts just created, or the history applicant's).
_IDENTITIES = """
INSERT INTO verifications_identity (smile_id, provider_id, source_type, smile_created_at, raw,
    first_synced_at, updated_at, full_name, first_name, middle_name, last_name, suffix, gender,
    dob, marital_status, country_residence, citizenship, reference_id, emails, phones,
    addresses, account_id)
SELECT 'id-' || md5('identity' || a.id), a.provider_id, 'ACCOUNT', a.created_at,
       jsonb_build_object('id', 'id-' || md5('identity' || a.id),
           'metadata', jsonb_build_object('sourceId', a.smile_id, 'sourceType', 'ACCOUNT',
                                          'providerId', a.provider_id, 'createdAt', a.created_at),
           'fullName', ap.first_name || ' ' || ap.last_name, 'firstName', ap.first_name,
           'lastName', ap.last_name, 'dob', ap.date_of_birth, 'countryResidence', 'PH'),
       a.created_at, a.created_at, ap.first_name || ' ' || ap.last_name, ap.first_name, '',
       ap.last_name, '', 'Female', ap.date_of_birth, 'Single', 'PH', 'Citizen', '',
       '[]'::jsonb, '[]'::jsonb, '[]'::jsonb, a.id
FROM account_ids a JOIN verifications_applicant ap ON ap.id = a.applicant_id
"""

# Two jobs per account: an ended one, then the current one.
_EMPLOYMENTS = """
INSERT INTO verifications_employment (smile_id, provider_id, source_type, smile_created_at, raw,
    first_synced_at, updated_at, employer, name, job_title, department, employee_number,
    employer_number, status, start_date, end_date, reported_date, account_id)
SELECT 'em-' || md5('employment' || a.id || '-' || e), a.provider_id, 'ACCOUNT', a.created_at,
       jsonb_build_object('id', 'em-' || md5('employment' || a.id || '-' || e),
           'metadata', jsonb_build_object('sourceId', a.smile_id, 'sourceType', 'ACCOUNT',
                                          'providerId', a.provider_id, 'createdAt', a.created_at),
           'employer', 'Employer ' || (a.id %% 500 + e), 'jobTitle', 'Clerk',
           'startDate', a.anchor - 3000 + e * 1400),
       a.created_at, a.created_at, 'Employer ' || (a.id %% 500 + e), '', 'Clerk', 'Operations',
       'E' || a.id, 'ER' || (a.id %% 500 + e), CASE WHEN e = 2 THEN 'ACTIVE' ELSE 'SEPARATED' END,
       a.anchor - 3000 + e * 1400, CASE WHEN e = 1 THEN a.anchor - 1700 END, NULL, a.id
FROM account_ids a CROSS JOIN generate_series(1, 2) e
"""

_SYNC_RUNS = """
INSERT INTO verifications_syncrun (kinds, trigger, status, counts, error, started_at,
                                   finished_at, account_id)
SELECT '["IDENTITIES", "EMPLOYMENTS", "CONTRIBUTIONS", "EINCOMES"]'::jsonb, 'webhook',
       'succeeded', '{}'::jsonb, '', a.created_at, a.created_at + interval '4 seconds', a.id
FROM account_ids a
"""

# sss_ph accounts: `months` monthly contributions ending with the month before `anchor`.
_CONTRIBUTIONS = """
INSERT INTO verifications_contribution (smile_id, provider_id, source_type, smile_created_at,
    raw, first_synced_at, updated_at, date, currency, amount, reference_id, account_id)
SELECT 'ct-' || md5('contribution' || a.id || '-' || m), a.provider_id, 'ACCOUNT', a.created_at,
       jsonb_build_object('id', 'ct-' || md5('contribution' || a.id || '-' || m),
           'metadata', jsonb_build_object('itemCreatedAt', a.created_at,
                                          'createdAt', a.created_at, 'sourceId', a.smile_id,
                                          'sourceType', 'ACCOUNT', 'providerId', a.provider_id,
                                          'userId', 'sandbox-' || md5('user' || a.applicant_id)),
           'date', month_end, 'currency', 'PHP', 'amount', 570 + (m * 37) %% 900,
           'referenceId', 'SSS-' || a.id || '-' || m, 'status', 'PAID'),
       a.created_at, a.created_at, month_end, 'PHP', 570 + (m * 37) %% 900,
       'SSS-' || a.id || '-' || m, a.id
FROM account_ids a
CROSS JOIN LATERAL generate_series(1, %(months)s) m
CROSS JOIN LATERAL (
    SELECT (date_trunc('month', a.anchor) - make_interval(months => m)
            + interval '1 month - 1 day')::date AS month_end
) d
WHERE a.provider_id = 'sss_ph'
"""


def _run(conn: psycopg.Connection, script: str, params: dict | None = None) -> None:
    """Each statement of `script` (`%%` is a literal %: parameters are always bound)."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement, params or {})


def _applicants(conn: psycopg.Connection, count: int, *, sss_accounts: int) -> None:
    if count <= 0:
        return
    _run(conn, _PLAN, {"count": count})
    _run(conn, _APPLICANTS)
    _run(conn, _SMILE_USERS_AND_INVITES)
    _run(conn, _ACCOUNTS, {"sss_accounts": sss_accounts})
    for script in (_IDENTITIES, _EMPLOYMENTS, _SYNC_RUNS):
        _run(conn, script)
    _run(conn, _CONTRIBUTIONS, {"months": CONTRIBUTIONS_PER_ACCOUNT})
    _run(conn, "DROP TABLE account_ids")
    _run(conn, "DROP TABLE plan_account")
    _run(conn, "DROP TABLE plan")


# The history page's applicant: ready for review, assigned, three accounts, 20 years of SSS.
_HISTORY = """
INSERT INTO verifications_applicant (first_name, middle_name, last_name, suffix, date_of_birth,
    address, email, phone, external_reference, status, smile_user_error, assigned_at,
    created_at, updated_at, assigned_to_id, created_by_id, completeness, flag_employment_gap,
    flag_identity_mismatch, flag_missing_contributions)
SELECT 'Teresa', 'Lim', 'Aquino', '', date '1978-03-14', 'Makati City, NCR',
       'teresa@example.com', '+639171112222', %(reference)s, 'ready', '',
       now() - interval '2 days', now() - interval '30 days', now() - interval '2 days',
       (SELECT id FROM accounts_user WHERE username = 'reviewer'),
       (SELECT id FROM accounts_user WHERE username = 'staff'),
       jsonb_build_object(
           'IDENTITIES', jsonb_build_object('state', 'synced', 'at', now() - interval '29 days'),
           'EMPLOYMENTS', jsonb_build_object('state', 'synced', 'at', now() - interval '29 days'),
           'CONTRIBUTIONS',
           jsonb_build_object('state', 'synced', 'at', now() - interval '29 days')),
       true, false, false;

INSERT INTO verifications_smileuser (smile_id, external_metadata, smile_created_at, created_at,
                                     applicant_id)
SELECT 'sandbox-history', '{"reference": "BENCH-HISTORY"}', created_at, created_at, id
FROM verifications_applicant WHERE external_reference = %(reference)s;

INSERT INTO verifications_linkedaccount (smile_id, provider_id, connection_status, error_code,
    error_message, monitor_status, login_name, smile_created_at, last_synced_at, raw,
    created_at, updated_at, applicant_id, task_error)
SELECT 'a-history-' || slot, provider, 'CONNECTED', '', '', 'ACTIVE', 'teresa',
       now() - interval '29 days', now() - interval '29 days',
       jsonb_build_object('id', 'a-history-' || slot, 'providerId', provider),
       now() - interval '29 days' + slot * interval '1 minute', now() - interval '29 days',
       ap.id, ''
FROM verifications_applicant ap,
     (VALUES (1, 'sss_ph'), (2, 'sss_ph'), (3, 'grab')) AS accounts (slot, provider)
WHERE ap.external_reference = %(reference)s;

CREATE TEMP TABLE account_ids ON COMMIT DROP AS
SELECT la.id, la.smile_id, la.provider_id, la.applicant_id, la.created_at,
       CASE la.smile_id WHEN 'a-history-1' THEN (date_trunc('month', now())
                                                 - interval '120 months')::date
                        ELSE date_trunc('month', now())::date END AS anchor
FROM verifications_linkedaccount la WHERE la.smile_id LIKE 'a-history-%%';
"""

# Eight jobs over twenty years, with a seven-month gap in 2018 and a gig alongside.
_HISTORY_JOBS = [
    ("a-history-1", "Makati Shipping Lines", "2005-07-01", "2009-12-31"),
    ("a-history-1", "Ayala Retail Corp.", "2010-02-01", "2012-08-31"),
    ("a-history-1", "Pasig Logistics Inc.", "2012-09-01", "2015-06-30"),
    ("a-history-2", "Manila Freight Co.", "2015-07-01", "2018-03-31"),
    ("a-history-2", "Ortigas Holdings", "2018-11-01", "2021-12-31"),
    ("a-history-2", "BGC Analytics Inc.", "2022-01-15", None),
    ("a-history-3", "Grab Philippines (driver)", "2016-01-01", "2016-12-31"),
    ("a-history-3", "Grab Philippines (driver)", "2019-05-01", None),
]

_HISTORY_JOB = """
INSERT INTO verifications_employment (smile_id, provider_id, source_type, smile_created_at, raw,
    first_synced_at, updated_at, employer, name, job_title, department, employee_number,
    employer_number, status, start_date, end_date, reported_date, account_id)
SELECT 'em-history-' || %(n)s, a.provider_id, 'ACCOUNT', a.created_at,
       jsonb_build_object('id', 'em-history-' || %(n)s, 'employer', %(employer)s::text,
                          'startDate', %(start)s::text, 'endDate', %(end)s::text),
       a.created_at, a.created_at, %(employer)s::text, '', 'Analyst', 'Operations', 'E-' || %(n)s,
       'ER-' || %(n)s, CASE WHEN %(end)s::date IS NULL THEN 'ACTIVE' ELSE 'SEPARATED' END,
       %(start)s::date, %(end)s::date, NULL, a.id
FROM account_ids a WHERE a.smile_id = %(account)s
"""

_HISTORY_INCOMES = """
INSERT INTO verifications_income (smile_id, provider_id, source_type, smile_created_at, raw,
    first_synced_at, updated_at, work_item, employer, start_date, end_date, payment_method,
    currency, frequency, base_amount, gross_amount, net_amount, account_id)
SELECT 'in-history-' || m, a.provider_id, 'ACCOUNT', a.created_at,
       jsonb_build_object('id', 'in-history-' || m), a.created_at, a.created_at, 'Trips',
       'Grab Philippines', d, (d + interval '1 month - 1 day')::date, 'BANK', 'PHP', 'MONTHLY',
       18000 + m * 10, 18000 + m * 10, 16500 + m * 10, a.id
FROM account_ids a
CROSS JOIN LATERAL generate_series(1, 24) m
CROSS JOIN LATERAL (SELECT (date_trunc('month', now()) - make_interval(months => m))::date AS d) x
WHERE a.smile_id = 'a-history-3'
"""


def _history_applicant(conn: psycopg.Connection) -> None:
    _run(conn, _HISTORY, {"reference": HISTORY_REFERENCE})
    for script in (_IDENTITIES, _SYNC_RUNS, _HISTORY_INCOMES):
        _run(conn, script)
    for n, (account, employer, start, end) in enumerate(_HISTORY_JOBS, 1):
        _run(
            conn,
            _HISTORY_JOB,
            {"n": n, "account": account, "employer": employer, "start": start, "end": end},
        )
    _run(conn, _CONTRIBUTIONS, {"months": 120})
    _run(conn, "DROP TABLE account_ids")
