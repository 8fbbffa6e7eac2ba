"""Invites as staff see them: the invite list, resend and revoke, and the page of new links."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from verifications import invites, models
from verifications.admin.base import ReadOnlyAdmin, ReadOnlyInline


class ConnectEventInline(ReadOnlyInline):
    model = models.ConnectEvent
    fields = ["name", "data", "created_at"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "What happened on the connect page"


class InviteStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return models.Invite.State.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(models.Invite.in_state(self.value()))
        return queryset


@admin.register(models.Invite)
class InviteAdmin(ReadOnlyAdmin):
    list_display = [
        "applicant",
        "state",
        "created_at",
        "sent_at",
        "opened_at",
        "connected_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = [InviteStateFilter]
    list_select_related = ["applicant"]
    search_fields = ["applicant__last_name", "applicant__email", "sent_to"]
    exclude = ["token_hash"]
    inlines = [ConnectEventInline]
    actions = ["revoke", "resend"]

    @admin.display(description="State")
    def state(self, invite: models.Invite) -> str:
        return invite.get_state_display()

    def has_send_invite_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("verifications.send_invite")

    @admin.action(description="Revoke selected invites", permissions=["send_invite"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = sum(invites.revoke_invite(invite, by=request.user) for invite in queryset)
        self.message_user(request, f"{revoked} invite(s) revoked; their links no longer work.")

    @admin.action(
        description="Resend (a new link; the old one stops working)", permissions=["send_invite"]
    )
    def resend(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        applicants = {invite.applicant for invite in queryset.select_related("applicant")}
        return send_and_show(self, request, list(applicants))


def send_and_show(
    model_admin, request: HttpRequest, applicants: list, *, email: bool = True
) -> HttpResponse | None:
    """Send each applicant an invite and show the new links; None when none was sent.

    A failed email, or an applicant who may not be invited (a final decision), is that
    applicant's error message; the others are still sent.
    """
    sent = []
    for applicant in applicants:
        try:
            _, url = invites.send_invite(applicant=applicant, sent_by=request.user, email=email)
        except invites.InviteRefused as error:
            model_admin.message_user(request, str(error), messages.ERROR)
            continue
        except invites.EmailFailed as error:
            model_admin.message_user(
                request,
                f"{applicant}: {error}. Nothing changed: any earlier link still works. Try "
                "again later, or create a link to copy instead.",
                messages.ERROR,
            )
            continue
        sent.append((applicant, url))
        if applicant.smile_user_error:
            model_admin.message_user(
                request,
                f"{applicant}: the invite was made, but creating their Smile user failed "
                f"again: {applicant.smile_user_error}. It is tried again when they open the "
                "link, or with “Retry creating Smile users”.",
                messages.WARNING,
            )
    return links_page(model_admin, request, sent, emailed=email) if sent else None


def links_page(model_admin, request: HttpRequest, sent: list, *, emailed: bool) -> HttpResponse:
    """Show each new link once, to copy into a chat or SMS: it is not stored anywhere."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Link-connect invites sent" if emailed else "Link-connect invite created",
        "sent": sent,
        "emailed": emailed,
        "opts": models.Applicant._meta,
    }
    return TemplateResponse(request, "admin/verifications/applicant/invites_sent.html", context)
