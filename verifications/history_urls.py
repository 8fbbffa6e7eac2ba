"""Employment history URLs, included under `history/` (final URLs like /history/42/)."""

from django.urls import path

from verifications import history_views

app_name = "history"

urlpatterns = [
    path("<int:pk>/", history_views.history_page, name="history"),
    path("<int:pk>/employments.csv", history_views.employments_csv, name="history_employments_csv"),
    path(
        "<int:pk>/contributions.csv",
        history_views.contributions_csv,
        name="history_contributions_csv",
    ),
    path("<int:pk>/report/", history_views.history_report, name="history_report"),
]
