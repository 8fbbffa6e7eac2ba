"""`import_applicants FILE.csv [--send]`: bad rows reported by line, good rows kept, repeatable."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

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
    assert "(invites emailed)" in out


def test_a_file_without_our_columns_is_refused(tmp_path, smile_sandbox):
    path = tmp_path / "wrong.csv"
    path.write_text("name,mail\nGeorge,g@example.com\n")
    with pytest.raises(CommandError, match="the header lacks first_name, last_name"):
        run(path)
    assert not Applicant.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot import"):
        run(tmp_path / "nope.csv")
