from django.contrib import admin
from django.urls import include, path

from verification_portal.health import healthz

admin.site.site_header = "Verification Portal"
admin.site.site_title = "Verification Portal"
admin.site.index_title = "Applicants, evidence and decisions"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("history/", include("verifications.history_urls")),
    path("", include("verifications.urls")),
]
