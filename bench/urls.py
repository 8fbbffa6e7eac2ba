"""The portal's URLs plus `bench/bare/`: what any request costs before the portal does work."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from verification_portal.urls import urlpatterns as portal_urlpatterns


@csrf_exempt  # the load generator POSTs the same bodies here as to the webhook endpoint
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *portal_urlpatterns]
