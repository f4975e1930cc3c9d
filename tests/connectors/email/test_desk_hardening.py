"""Issue 8 findings on the e-mail desk: a reused Message-ID overwrote stored attachments, a mail could carry
thousands of attachments, the loop guard silenced a resend after a failed answer, and data files were 0644."""

from __future__ import annotations

import smtplib
import stat
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

import pytest

from tests.connectors.email.conftest import DESK, EmailHarness, FakeRelay, RunningEmail, start_email
from tests.connectors.email.mailer import send, user_mail
from tests.connectors.email.test_smtp import settle

ALICE = "alice@example.com"


def mail_with(files: dict[str, bytes], message_id: str, body: str = "Log attached.") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ALICE, DESK, "Logs"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=SMTP_POLICY)


async def test_reused_message_id_never_overwrites_stored_attachments(email_service: RunningEmail) -> None:
    await send(email_service.port, mail_with({"report.txt": b"the real report"}, "<same@example.com>"),
               mail_from=ALICE)
    await settle(email_service)
    [row] = email_service.harness.recorded(f"email:{ALICE}")
    stored = Path(row["attachments"][0]["path"])
    assert stored.read_bytes() == b"the real report"
    # Another mail (an attacker, or a broken client) reusing the Message-ID with other content.
    await send(email_service.port, mail_with({"report.txt": b"FORGED CONTENT"}, "<same@example.com>",
                                             body="Other text entirely."), mail_from=ALICE)
    await settle(email_service)
    assert len(email_service.harness.recorded(f"email:{ALICE}")) == 1  # the duplicate is not recorded
    assert stored.read_bytes() == b"the real report"


async def test_attachments_are_stored_by_content_digest(email_service: RunningEmail) -> None:
    await send(email_service.port, mail_with({"a.log": b"one", "b.log": b"two"}, "<dig@example.com>"),
               mail_from=ALICE)
    await settle(email_service)
    [row] = email_service.harness.recorded(f"email:{ALICE}")
    import hashlib

    for att, data in zip(row["attachments"], (b"one", b"two"), strict=True):
        assert hashlib.sha256(data).hexdigest() in Path(att["path"]).name


async def test_attachment_count_is_capped_and_the_user_told(email_harness: EmailHarness,
                                                            email_relay: FakeRelay, tmp_path: Path) -> None:
    running = await start_email(email_harness, email_relay, tmp_path / "data", max_attachments=3)
    try:
        files = {f"f{i}.bin": f"file {i}".encode() for i in range(50)}
        await send(running.port, mail_with(files, "<many@example.com>"), mail_from=ALICE)
        await settle(running)
        [row] = email_harness.recorded(f"email:{ALICE}")
        assert len(row["attachments"]) == 3
        assert row["extras"]["attachments_over_count"] == 47 and row["extras"]["max_attachments"] == 3
        stored = list((running.data_dir / "attachments" / "email").rglob("*"))
        assert len([p for p in stored if p.is_file()]) == 3
        if email_harness.kind == "runtime":
            assert "47" in running.relay.mails[0].body  # the answer says files were left out
    finally:
        await running.service.stop()


async def test_failed_answer_does_not_silence_the_resend(email_service: RunningEmail) -> None:
    text = "The VPN client says error 809 every time I connect from home."
    email_service.relay.fail_with = ["550 5.7.1 Relay refused for now"]  # permanent: no retry
    await send(email_service.port, user_mail(ALICE, "VPN", text), mail_from=ALICE)
    await settle(email_service)
    assert email_service.relay.mails == []
    await send(email_service.port, user_mail(ALICE, "VPN", text), mail_from=ALICE)  # the user tries again
    await settle(email_service)
    rows = email_service.harness.recorded(f"email:{ALICE}")
    assert rows[-1]["extras"].get("no_reply_reason") != "repeated-content"
    assert len(email_service.relay.mails) == 1


async def test_raw_mail_and_attachments_are_private_files(email_service: RunningEmail) -> None:
    await send(email_service.port, mail_with({"x.txt": b"secret"}, "<perm@example.com>"), mail_from=ALICE)
    await settle(email_service)
    [row] = email_service.harness.recorded(f"email:{ALICE}")
    for path in (Path(row["attachments"][0]["path"]), Path(row["extras"]["raw_path"])):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


async def test_smtp_client_over_its_rate_limit_is_told_to_slow_down(email_harness: EmailHarness,
                                                                     email_relay: FakeRelay,
                                                                     tmp_path: Path) -> None:
    from connectors.base import ConnectorContext
    from connectors.email import mount
    from tests.connectors.email.conftest import email_env_for, free_port

    allowed = iter([True, True, False])
    ctx = ConnectorContext(inbox=email_harness.intake, data_dir=tmp_path, public_url=None,
                           client_limit=lambda ip: next(allowed))
    mounted = mount(ctx, email_env_for(email_relay.port, free_port()))
    assert mounted is not None and mounted.start is not None and mounted.stop is not None
    await mounted.start()
    service = mounted.start.__self__  # type: ignore[attr-defined]
    try:
        for i in range(2):
            await send(service.listener.port, user_mail(ALICE, "x", f"message {i}"), mail_from=ALICE)
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            await send(service.listener.port, user_mail(ALICE, "x", "message 3"), mail_from=ALICE)
        assert err.value.smtp_code == 450 and b"slow down" in err.value.smtp_error
        assert len(email_harness.recorded(f"email:{ALICE}")) == 2
    finally:
        await mounted.stop()


async def test_an_attachment_stored_again_is_fresh_for_retention(email_service: RunningEmail) -> None:
    import os
    import time

    await send(email_service.port, mail_with({"log.txt": b"same bytes"}, "<r1@example.com>"), mail_from=ALICE)
    await settle(email_service)
    path = Path(email_service.harness.recorded(f"email:{ALICE}")[0]["attachments"][0]["path"])
    old = time.time() - 200 * 86400
    os.utime(path, (old, old))
    await send(email_service.port, mail_with({"log.txt": b"same bytes"}, "<r2@example.com>", body="Again."),
               mail_from=ALICE)
    await settle(email_service)
    second = Path(email_service.harness.recorded(f"email:{ALICE}")[-1]["attachments"][0]["path"])
    assert second == path and path.stat().st_mtime > time.time() - 60
