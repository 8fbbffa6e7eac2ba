"""The portal's settings, plus a bare view to compare against (bench/urls.py).

Everything else comes from the environment exactly as in production; bench.environment sets it.
"""

import os
from pathlib import Path

from verification_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Admin pages render {% static %}: the manifest storage would need a collectstatic into the
# shared staticfiles/ folder, which other people use. A plain lookup costs the same per URL.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The portal logs at INFO (each webhook, each Smile call): keep that cost, but write it to a
# file so the tables stay readable.
_log_file = Path(os.environ.get("BENCH_LOG_FILE", "/tmp/bench-portal.log"))  # noqa: S108
LOGGING = {
    **LOGGING,  # noqa: F405
    "handlers": {
        "console": {
            "class": "logging.FileHandler",
            "filename": str(_log_file),
            "formatter": "plain",
        }
    },
}
