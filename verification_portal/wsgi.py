"""WSGI entry point: `gunicorn verification_portal.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verification_portal.settings")
application = get_wsgi_application()
