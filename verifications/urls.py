from django.urls import path

from verifications import views

app_name = "verifications"

urlpatterns = [
    path("connect/<str:token>/", views.connect_page, name="connect"),
    path("connect/<str:token>/token", views.connect_token, name="connect_token"),
    path("connect/<str:token>/events", views.connect_events, name="connect_events"),
    path("webhooks/smile/", views.smile_webhook, name="smile_webhook"),
]
