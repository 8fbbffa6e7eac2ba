"""Applicants, their Smile users, invites and linked accounts, as staff and reviewers see them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from verifications import audit, background, invites, models, review
from verifications.admin.base import ReadOnlyAdmin, ReadOnlyInline
from verifications.admin.invites import send_and_show
from verifications.admin.review import AssignedFilter, FlagFilter, ProviderFilter, ReviewQueueMixin
from verifications.smile import SmileClient, SmileError
from verifications.smile_users import ensure_smile_user


class SmileUserFilter(admin.SimpleListFilter):
    title = "Smile user"
    parameter_name = "smile_user"

    def lookups(self, request, model_admin):
        return [("created", "Created"), ("retry", "Needs retry")]

    def queryset(self, request, queryset):
        if self.value() == "created":
            return queryset.filter(smile_user__isnull=False)
        if self.value() == "retry":
            return queryset.filter(smile_user__isnull=True)
        return queryset


class InviteInline(ReadOnlyInline):
    model = models.Invite
    fields = [
        "state",
        "created_at",
        "sent_at",
        "reminder",
        "opened_at",
        "connected_at",
        "used_up_at",
        "expires_at",
        "revoked_at",
    ]
    readonly_fields = fields
    verbose_name_plural = "Invite history"

    @admin.display(description="State")
    def state(self, invite: models.Invite) -> str:
        return invite.get_state_display()

    @admin.display(description="Reminder")
    def reminder(self, invite: models.Invite) -> str:
        # On the first invite, when its reminder went out; on the reminder, the same time.
        return display_for_value(invite.reminded_at, self.get_empty_value_display())

    @admin.display(description="DONE pressed (used up)")
    def used_up_at(self, invite: models.Invite) -> str:
        return display_for_value(invite.completed_at, self.get_empty_value_display())


class LinkedAccountInline(ReadOnlyInline):
    model = models.LinkedAccount
    # Why an account has no (fresh) data belongs beside it: the connection's error, and the
    # code of Smile's last failed data task (a TASK_FINISHED with status FAILED).
    fields = [
        "smile_id",
        "provider_id",
        "connection_status",
        "error_code",
        "error_message",
        "task_error",
        "last_synced_at",
    ]
    readonly_fields = fields


@admin.register(models.Applicant)
class ApplicantAdmin(ReviewQueueMixin, admin.ModelAdmin):
    """The applicant list is the reviewers' queue, oldest first."""

    list_display = [
        "full_name",
        "external_reference",
        "status",
        "assigned_to",
        "invite_state",
        "data_completeness",
        "flag_list",
        "age",
    ]
    list_filter = ["status", AssignedFilter, FlagFilter, ProviderFilter, SmileUserFilter]
    ordering = ["created_at", "pk"]
    list_per_page = 50
    # Named, not left to the changelist: its default select_related() skips nullable keys,
    # which would cost a query per assigned row.
    list_select_related = ["smile_user", "assigned_to"]
    # One COUNT(*) over the queue per page is enough; the unfiltered total is not worth another.
    show_full_result_count = False
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "external_reference",
        "smile_user__smile_id",
        "linked_accounts__smile_id",
    ]
    readonly_fields = [
        "status",
        "smile_user_id",
        "smile_user_error",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            "What the applicant stated",
            {
                "fields": [
                    ("first_name", "middle_name", "last_name", "suffix"),
                    "date_of_birth",
                    "address",
                    ("email", "phone"),
                    "external_reference",
                ]
            },
        ),
        (
            "Verification",
            {
                "fields": [
                    "status",
                    ("smile_user_id", "smile_user_error"),
                    ("created_by", "created_at"),
                ]
            },
        ),
    ]
    inlines = [InviteInline, LinkedAccountInline]
    actions = ["send_invites", "create_user_tokens", "retry_smile_users"]
    change_form_template = "admin/verifications/applicant/change_form.html"

    def get_queryset(self, request):
        # No select_related here: the changelist then skips list_select_related.
        return super().get_queryset(request).prefetch_related("invites")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Applicants are evidence of a decision; they are never deleted from the portal.
        return False

    def has_send_invite_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("verifications.send_invite")

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("verifications.refresh_data")

    @admin.display(description="Smile user")
    def smile_user_id(self, applicant: models.Applicant) -> str:
        smile_user = getattr(applicant, "smile_user", None)
        return smile_user.smile_id if smile_user else "not created yet"

    @admin.display(description="Invite")
    def invite_state(self, applicant: models.Applicant) -> str:
        latest = max(applicant.invites.all(), key=lambda invite: invite.created_at, default=None)
        return latest.get_state_display() if latest else "—"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.is_final:
            return [*readonly, *models.Applicant.STATED_FIELDS]
        return readonly

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            self._create_smile_user(request, obj)
        elif form.has_changed():
            self._audit_stated_changes(request, obj, form)
            # A corrected date of birth or name changes the identity verdict: the queue's
            # flags follow now, not at the next sync.
            review.refresh_review_state(obj)

    def _audit_stated_changes(self, request: HttpRequest, applicant: models.Applicant, form):
        """Record who changed which stated field, from what to what: a corrected date of
        birth can turn a mismatch into a match, so a reviewer must be able to see it."""
        changed = [name for name in models.Applicant.STATED_FIELDS if name in form.changed_data]
        if changed:
            audit.record(
                request.user,
                audit.Action.STATED_CHANGED,
                applicant=applicant,
                what=", ".join(changed),
                changes={
                    name: [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))]
                    for name in changed
                },
            )

    def _create_smile_user(self, request: HttpRequest, applicant: models.Applicant) -> bool:
        try:
            ensure_smile_user(applicant)
        except SmileError as error:
            self.message_user(
                request,
                f"{applicant} is saved, but creating their Smile user failed: {error}. "
                "It is tried again when you send an invite, when they open their link, or "
                "with “Retry creating Smile users”.",
                messages.ERROR,
            )
            return False
        return True

    # Actions

    @admin.action(description="Send link-connect invite", permissions=["send_invite"])
    def send_invites(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return send_and_show(self, request, list(queryset))

    @admin.action(description="Create a user token (integration test)", permissions=["send_invite"])
    def create_user_tokens(self, request: HttpRequest, queryset: QuerySet) -> None:
        with SmileClient.from_settings() as client:
            for applicant in queryset:
                try:
                    smile_user = ensure_smile_user(applicant, client=client)
                    token = client.create_token(smile_user.smile_id)
                except SmileError as error:
                    self.message_user(request, f"{applicant}: {error}", messages.ERROR)
                    continue
                self.message_user(
                    request,
                    f"{applicant}: a {token.mode.lower()} user token for {smile_user.smile_id} "
                    f"was created; it expires at {token.expires_at:%Y-%m-%d %H:%M} UTC.",
                    messages.SUCCESS,
                )

    @admin.action(description="Retry creating Smile users", permissions=["change"])
    def retry_smile_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        created = sum(
            self._create_smile_user(request, applicant)
            for applicant in queryset.filter(smile_user__isnull=True)
        )
        self.message_user(request, f"{created} Smile user(s) created.", messages.SUCCESS)

    # Buttons on the applicant page

    def get_urls(self):
        own = [
            path(
                "<int:pk>/send-invite/",
                self.admin_site.admin_view(self.send_invite_view),
                name="verifications_applicant_send_invite",
            ),
            path(
                "<int:pk>/refresh/",
                self.admin_site.admin_view(self.refresh_view),
                name="verifications_applicant_refresh",
            ),
        ]
        return own + self.review_urls() + super().get_urls()

    def send_invite_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_send_invite_permission(request):
            raise PermissionDenied
        applicant = get_object_or_404(models.Applicant, pk=pk)
        if why := invites.refusal(applicant):
            self.message_user(request, why, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:verifications_applicant_change", args=[pk]))
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": f"Send a link-connect invite to {applicant}",
                "applicant": applicant,
                "opts": self.model._meta,
                "ttl_days": settings.INVITE_TTL_DAYS,
            }
            return TemplateResponse(
                request, "admin/verifications/applicant/send_invite.html", context
            )
        emailed = "email" in request.POST
        response = send_and_show(self, request, [applicant], email=emailed)
        # Nothing sent (the email failed): back to this page, to retry or create a link to copy.
        return response or HttpResponseRedirect(request.path)

    def refresh_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """ "Refresh data now": a sync of every connected account, followed on this page."""
        if request.method != "POST" or not self.has_refresh_permission(request):
            raise PermissionDenied
        applicant = get_object_or_404(models.Applicant, pk=pk)
        accounts = applicant.linked_accounts.filter(
            connection_status=models.LinkedAccount.ConnectionStatus.CONNECTED
        )
        for account in accounts:
            audit.record(
                request.user,
                audit.Action.DATA_REFRESH,
                applicant=applicant,
                what=f"{account.provider_id} {account.smile_id}",
            )
            background.enqueue(
                "verifications.tasks.sync_linked_account",
                account.pk,
                None,
                models.SyncRun.Trigger.MANUAL,
                request.user.pk,
                group="refresh",
            )
        if accounts:
            self.message_user(
                request,
                f"Refreshing {len(accounts)} account(s): queued for a worker; reload this "
                "page to follow the syncs below.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, "No connected account to refresh.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:verifications_applicant_change", args=[pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_send_invite": self.has_send_invite_permission(request),
            "can_refresh": self.has_refresh_permission(request),
            "can_view_history": request.user.has_perm("verifications.view_employment_history"),
        }
        # Sync runs carry Smile's account ids and error text: only for those who may read the
        # sync runs list itself (staff and loan officers get 403 there).
        if request.user.has_perm("verifications.view_syncrun"):
            extra_context["sync_runs"] = (
                models.SyncRun.objects.filter(account__applicant_id=object_id)
                .select_related("account")
                .order_by("-started_at")[:10]
            )
        applicant = self.get_object(request, object_id)
        if applicant is not None and self.has_view_permission(request, applicant):
            extra_context.update(self.review_context(request, applicant))
            if extra_context["can_refresh"]:
                extra_context["waiting_refresh"] = review.waiting_refresh(applicant)
        return super().change_view(request, object_id, form_url, extra_context)

    # The flags are derived from Smile's data (an identity mismatch, a gap): shown and
    # filtered on only for those who may see that data, as the review panel is.
    def get_list_display(self, request: HttpRequest) -> list[str]:
        shown = list(super().get_list_display(request))
        if not request.user.has_perm("verifications.view_smile_data"):
            shown.remove("flag_list")
        return shown

    def get_list_filter(self, request: HttpRequest) -> list:
        filters = list(super().get_list_filter(request))
        if not request.user.has_perm("verifications.view_smile_data"):
            filters.remove(FlagFilter)
        return filters

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_decide_permission(request)}
        return super().changelist_view(request, extra_context)


@admin.register(models.SmileUser)
class SmileUserAdmin(ReadOnlyAdmin):
    list_display = ["smile_id", "applicant", "created_at"]
    search_fields = ["smile_id", "applicant__last_name"]


@admin.register(models.LinkedAccount)
class LinkedAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "smile_id",
        "applicant",
        "provider_id",
        "connection_status",
        "error_code",
        "last_synced_at",
    ]
    list_filter = ["connection_status", "provider_id"]
    list_select_related = ["applicant"]
    search_fields = ["smile_id", "applicant__last_name", "applicant__external_reference"]


def _plain(value) -> str:
    """A form value as the audit log's JSON keeps it: dates as ISO text, nothing as ""."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
