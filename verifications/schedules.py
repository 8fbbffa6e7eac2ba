"""Periodic work, as django-q2 Schedule rows (created by a data migration).

Intervals here are how often each job looks; what it acts on is decided at run time from
settings (e.g. SYNC_REFRESH_HOURS), so changing a setting needs no new schedule.
"""

SCHEDULES = [
    # name, task function, minutes between runs
    ("Re-enqueue lost or due webhook events", "verifications.tasks.requeue_webhook_events", 1),
    (
        "Close sync runs interrupted by a dead worker",
        "verifications.tasks.fail_interrupted_sync_runs",
        5,
    ),
    ("Refresh connected accounts", "verifications.tasks.refresh_connected_accounts", 60),
    (
        "Remind applicants who have not opened their invite",
        "verifications.tasks.send_invite_reminders",
        60,
    ),
]


def ensure_schedules(apps=None) -> None:
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )
