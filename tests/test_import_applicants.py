"""`import_applicants FILE.csv [--send]`: bad rows reported by line, good rows kept, repeatable."""

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from verifications import invites
from verifications.models import Applicant, Invite, SmileUser

pytestmark = pytest.mark.django_db

CSV = """first_name,last_name,email,phone,reference
George,Palomero,george@example.com,+639559991234,LOAN-1
Ryan,Lestari,not-an-email,+628119994321,LOAN-2
Christina,Tan,christina@example.com,,LOAN-3
Anisha,Bhatia,anisha@example.com,98765,
"""


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_applicants", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "applicants.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_bad_rows_are_reported_by_line_and_good_rows_kept(csv_file, smile_sandbox):
    out, err = run(csv_file)
    assert "line 3: email: Enter a valid email address." in err
    assert "line 5: reference is empty" in err
    assert sorted(Applicant.objects.values_list("external_reference", flat=True)) == [
        "LOAN-1",
        "LOAN-3",
    ]
    assert SmileUser.objects.count() == 2
    assert out.count("http://127.0.0.1:8000/connect/") == 2
    assert "2 created, 0 already imported, 2 rejected" in out
    assert mail.outbox == []
    assert Invite.objects.count() == 2


def test_importing_again_changes_nothing(csv_file, smile_sandbox):
    run(csv_file)
    out, _ = run(csv_file)
    assert "0 created, 2 already imported, 2 rejected" in out
    assert Applicant.objects.count() == 2
    assert Invite.objects.count() == 2
    assert len(smile_sandbox.sandbox.store.users) == 2


def test_send_emails_each_new_applicant(csv_file, smile_sandbox):
    out, _ = run(csv_file, "--send")
    assert sorted(m.to[0] for m in mail.outbox) == ["christina@example.com", "george@example.com"]
    assert "2 created, 0 already imported, 2 rejected (2 invites emailed)" in out


def test_by_records_who_imported_so_four_eyes_applies(csv_file, smile_sandbox, rita):
    from verifications import review

    run(csv_file, "--by", "rita")
    george = Applicant.objects.get(external_reference="LOAN-1")
    assert george.created_by == rita
    assert set(Invite.objects.values_list("created_by", flat=True)) == {rita.pk}
    Applicant.objects.filter(pk=george.pk).update(status="ready", assigned_to=rita)
    with pytest.raises(review.DecisionRefused, match="four-eyes"):
        review.decide(
            george, reviewer=rita, outcome="approve", reason_code="verified", override_note="x"
        )


def test_by_an_unknown_user_imports_nothing(csv_file, smile_sandbox):
    with pytest.raises(CommandError, match="No portal user 'nobody'; nothing was imported"):
        run(csv_file, "--by", "nobody")
    assert not Applicant.objects.exists()


def connect_links(text: str) -> list[str]:
    return re.findall(r"http://127\.0\.0\.1:8000(/connect/[^/\s]+/)", text)


def test_send_after_a_plain_import_emails_the_invites_it_only_printed(
    csv_file, smile_sandbox, client
):
    printed, _ = run(csv_file)  # first, to look at the links
    out, _ = run(csv_file, "--send")
    assert sorted(m.to[0] for m in mail.outbox) == ["christina@example.com", "george@example.com"]
    assert (
        "line 2: exists LOAN-1 was imported before without --send; invite emailed"
        " (a new link: the one printed then no longer works)"
    ) in out
    assert "0 created, 2 already imported, 2 rejected (2 invites emailed)" in out
    [george_email] = [m for m in mail.outbox if m.to == ["george@example.com"]]
    [emailed] = connect_links(george_email.body)
    assert client.get(emailed).status_code == 200
    # Only a hash of the printed link was kept, so the email carries a new one.
    assert all(client.get(link).status_code == 410 for link in connect_links(printed))

    again, _ = run(csv_file, "--send")
    assert len(mail.outbox) == 2
    assert "0 created, 2 already imported, 2 rejected (no invites emailed)" in again


def test_send_leaves_a_row_whose_link_was_used_or_ended(csv_file, smile_sandbox):
    run(csv_file)
    george = Invite.objects.get(applicant__external_reference="LOAN-1")
    christina = Invite.objects.get(applicant__external_reference="LOAN-3")
    Invite.objects.filter(pk=george.pk).update(connected_at=timezone.now())
    invites.revoke_invite(christina)
    out, _ = run(csv_file, "--send")
    assert mail.outbox == [] and Invite.objects.count() == 2
    assert "(no invites emailed)" in out


def test_send_refuses_a_decided_applicant_imported_before(csv_file, smile_sandbox):
    run(csv_file)
    Applicant.objects.filter(external_reference="LOAN-1").update(status="rejected")
    out, _ = run(csv_file, "--send")
    assert [m.to for m in mail.outbox] == [["christina@example.com"]]
    assert (
        "line 2: exists LOAN-1 was imported before without --send; George Palomero is "
        "rejected, a final decision: no link-connect invite is sent.\n"
    ) in out
    assert "(1 invite emailed)" in out


def test_a_file_without_our_columns_is_refused(tmp_path, smile_sandbox):
    path = tmp_path / "wrong.csv"
    path.write_text("name,mail\nGeorge,g@example.com\n")
    with pytest.raises(CommandError, match="the header lacks first_name, last_name"):
        run(path)
    assert not Applicant.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot import"):
        run(tmp_path / "nope.csv")


def test_a_bad_byte_anywhere_is_reported_by_line_before_anything_is_created(
    tmp_path, smile_sandbox
):
    path = tmp_path / "applicants.csv"
    path.write_bytes(
        b"first_name,last_name,email,phone,reference\n"
        + b"".join(b"Person,Number%d,p%d@example.com,,LOAN-%d\n" % (n, n, n) for n in range(300))
        + b"Bad,\xff\xfe,x@example.com,,LOAN-X\n"
    )
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_applicants", str(path), stdout=out, stderr=StringIO())
    assert str(refused.value).endswith("line 302 is not UTF-8 (byte 0xff); nothing was imported")
    assert out.getvalue() == ""
    assert not Applicant.objects.exists()
    assert smile_sandbox.sandbox.store.users == {}


def test_a_broken_csv_is_reported_by_line_before_anything_is_created(tmp_path, smile_sandbox):
    path = tmp_path / "applicants.csv"
    # A quote left open swallows the rest of the file into one field, past csv's limit.
    path.write_text(CSV + 'Open,"Quote,q@example.com,,LOAN-6\n' + "x" * 200_000, encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"line 6: field larger than field limit .*; nothing was imported"
    ):
        run(path)
    assert not Applicant.objects.exists()


class Recording(StringIO):
    """Stdout that notes how many applicants existed when each line was written."""

    def __init__(self) -> None:
        super().__init__()
        self.applicants_at_line: list[int] = []

    def write(self, text: str) -> int:
        if text.startswith("line "):
            self.applicants_at_line.append(Applicant.objects.count())
        return super().write(text)


def test_each_row_is_printed_as_soon_as_it_is_imported(csv_file, smile_sandbox):
    # Links are stored only as hashes: one printed only at the end would be lost to a
    # failure further down the file.
    out = Recording()
    call_command("import_applicants", str(csv_file), stdout=out, stderr=StringIO())
    assert out.applicants_at_line == [1, 2]  # George's link before Christina existed


def test_a_smile_user_that_failed_is_retried_by_the_next_import(csv_file, smile_sandbox):
    smile_sandbox.set_faults(errors={"count": 1000, "status": 503})
    out, _ = run(csv_file)
    assert out.count("Smile user not created yet") == 2
    assert out.count("http://127.0.0.1:8000/connect/") == 2  # the link works all the same
    assert not SmileUser.objects.exists()

    smile_sandbox.clear_faults()
    out, _ = run(csv_file)
    assert "line 2: exists LOAN-1 was imported before; skipped; Smile user created now" in out
    assert SmileUser.objects.count() == 2
    assert "connect/" not in out and Invite.objects.count() == 2

    out, _ = run(csv_file)
    assert "Smile user" not in out and SmileUser.objects.count() == 2
