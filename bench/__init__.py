"""Benchmarks that print figures and record them in bench/latest.json (never assertions on time).

Run from the repository root: `.venv/bin/python -m bench [webhook_ack|sync_rate|admin_scale|all]`.
See bench/README.md for what each one measures and how.
"""
