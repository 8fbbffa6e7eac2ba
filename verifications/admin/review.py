"""The reviewers' side of the applicant admin: the queue, the evidence and decisions.

Also decisions and the audit log as lists: evidence, readable, editable by no one.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from verifications import audit, models, review
from verifications.admin.base import ReadOnlyAdmin
from verifications.history.dates import format_instant
from verifications.models import Applicant, Decision


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "To me"), ("none", "Unassigned"), ("others", "To someone else")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "others":
            return queryset.exclude(assigned_to__isnull=True).exclude(assigned_to=request.user)
        return queryset


class FlagFilter(admin.SimpleListFilter):
    title = "flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [*review.FLAG_FIELDS.items(), ("none", "No flag")]

    def queryset(self, request, queryset):
        if self.value() in review.FLAG_FIELDS or self.value() == "none":
            return queryset.filter(review.queue_filter_flag(self.value()))
        return queryset


class ProviderFilter(admin.SimpleListFilter):
    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(provider, provider) for provider in models.LinkedAccount.providers_in_use()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(linked_accounts__provider_id=self.value()).distinct()
        return queryset


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    reason_code = forms.ChoiceField(label="Reason")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    override_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed to approve despite stale data or an unresolved flag.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [
            (Decision.Outcome(outcome).label, review.reason_choices(outcome))
            for outcome in Decision.Outcome.values
        ]


class ReviewQueueMixin:
    """What ApplicantAdmin adds for compliance reviewers."""

    @admin.display(description="Data")
    def data_completeness(self, applicant: Applicant) -> str:
        return format_html_join(
            " ",
            '<span class="data-{}" title="{}">{}: {}</span>',
            (
                (
                    row["state"],
                    f"last sync {format_instant(row['at'])}" if row["at"] else "never synced",
                    row["label"],
                    row["state"],
                )
                for row in review.completeness_rows(applicant)
            ),
        )

    @admin.display(description="Flags")
    def flag_list(self, applicant: Applicant) -> str:
        found = review.flags(applicant)
        if not found:
            return "—"
        return format_html_join(
            ", ", '<span class="flag">{}</span>', ((label,) for _, label in found)
        )

    @admin.display(description="Age", ordering="created_at")
    def age(self, applicant: Applicant) -> str:
        days = (timezone.now() - applicant.created_at).days
        return f"{days} d"

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("verifications.decide_applicant")

    def review_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("next/", view(self.next_view), name="verifications_applicant_next"),
            path("<int:pk>/assign/", view(self.assign_view), name="verifications_applicant_assign"),
            path(
                "<int:pk>/unassign/",
                view(self.unassign_view),
                name="verifications_applicant_unassign",
            ),
            path("<int:pk>/decide/", view(self.decide_view), name="verifications_applicant_decide"),
        ]

    def _post_by_reviewer(self, request: HttpRequest) -> None:
        if request.method != "POST" or not self.has_decide_permission(request):
            raise PermissionDenied

    def next_view(self, request: HttpRequest) -> HttpResponse:
        self._post_by_reviewer(request)
        applicant = review.next_in_queue(request.user)
        if applicant is None:
            self.message_user(request, "Nobody is waiting for review.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:verifications_applicant_changelist"))
        self.message_user(request, f"{applicant} is now assigned to you.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:verifications_applicant_change", args=[applicant.pk])
        )

    def assign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Assign to me, or (a supervisor's form) to the reviewer named in `reviewer`."""
        self._post_by_reviewer(request)
        applicant = get_object_or_404(Applicant, pk=pk)
        reviewer = request.user
        if request.POST.get("reviewer"):
            reviewer = review.reviewers().filter(pk=request.POST["reviewer"]).first()
            if reviewer is None:
                self.message_user(request, "Choose one of the reviewers listed.", messages.ERROR)
                return self._back(pk)
        if self._refusable(request, lambda: review.assign(applicant, reviewer, by=request.user)):
            self.message_user(request, f"{applicant} is now assigned to {reviewer}.")
        return self._back(pk)

    def unassign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._post_by_reviewer(request)
        applicant = get_object_or_404(Applicant, pk=pk)
        self._refusable(request, lambda: review.unassign(applicant, by=request.user))
        return self._back(pk)

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._post_by_reviewer(request)
        applicant = get_object_or_404(Applicant, pk=pk)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            problems = "; ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
            self.message_user(request, f"The decision was not recorded: {problems}", messages.ERROR)
            return self._back(pk)
        decision = self._refusable(
            request, lambda: review.decide(applicant, reviewer=request.user, **form.cleaned_data)
        )
        if decision:
            self.message_user(
                request,
                f"{decision.get_outcome_display()}: {applicant} is now "
                f"{Applicant.Status(decision.to_status).label.lower()}.",
                messages.SUCCESS,
            )
        return self._back(pk)

    def _refusable(self, request: HttpRequest, action):
        try:
            return action()
        except review.DecisionRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None

    def _back(self, pk: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:verifications_applicant_change", args=[pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Audited here, where the page is drawn, not where its context is built: a saved
        # change form redirects without showing anything and must not count as a view.
        if obj is not None and context.get("evidence"):
            audit.record(
                request.user, audit.Action.VIEWED_SMILE_DATA, applicant=obj, what=request.path
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def review_context(self, request: HttpRequest, applicant: Applicant) -> dict:
        """The review panel, for those who may see Smile's data (audited when shown)."""
        if not request.user.has_perm("verifications.view_smile_data"):
            return {}
        # Once approved or rejected nothing more can be decided or assigned: the panel says
        # who decided instead of offering a form that could only be refused.
        can_decide = self.has_decide_permission(request) and not applicant.is_final
        evidence = review.evidence(applicant)
        decisions = applicant.decisions.select_related("decided_by").order_by("-decided_at")
        return {
            "evidence": evidence,
            "completeness": review.completeness_rows(applicant),
            "flags": review.flags(applicant),
            "decisions": decisions,
            "final_decision": decisions.first() if applicant.is_final else None,
            "can_decide": can_decide,
            "decision_form": DecisionForm() if can_decide else None,
            "approval_concerns": (
                review.approval_concerns(applicant, comparison=evidence.comparison)
                if can_decide
                else []
            ),
            "is_mine": applicant.assigned_to_id == request.user.pk,
            "reviewers": review.reviewers()
            if can_decide and review.may_supervise(request.user)
            else None,
        }


@admin.register(models.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "applicant",
        "outcome",
        "reason_code",
        "from_status",
        "to_status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["outcome", "reason_code", "decided_at"]
    list_select_related = ["applicant", "decided_by"]
    search_fields = ["applicant__last_name", "applicant__external_reference", "note"]
    date_hierarchy = "decided_at"


@admin.register(models.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "applicant", "what"]
    list_filter = ["action", "at"]
    list_select_related = ["actor", "applicant"]
    search_fields = [
        "actor__username",
        "applicant__last_name",
        "applicant__external_reference",
        "what",
    ]
    date_hierarchy = "at"
