from django.contrib import admin
from django.urls import include, path
from django_ratelimit.decorators import ratelimit

from verification_portal.health import healthz

admin.site.site_header = "Verification Portal"
admin.site.site_title = "Verification Portal"
admin.site.index_title = "Applicants, evidence and decisions"

# The login form is the one admin page anyone can reach: slow password guessing down, per
# address and per user name, before Django checks the password.
login = ratelimit(key="ip", rate="20/m", method="POST", block=True)(admin.site.login)
login = ratelimit(key="post:username", rate="10/m", method="POST", block=True)(login)

urlpatterns = [
    path("admin/login/", login, name="login"),
    path("admin/", admin.site.urls),
    path("healthz", ratelimit(key="ip", rate="120/m", block=True)(healthz), name="healthz"),
    path("history/", include("verifications.history_urls")),
    path("", include("verifications.urls")),
]
