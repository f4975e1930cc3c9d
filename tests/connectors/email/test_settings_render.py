"""Settings (on/off/half-configured), the pure renderer and the quote stripper."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from connectors.base import ConfigError, ConnectorContext
from connectors.email import mount
from connectors.email.quotes import strip_reply
from connectors.email.render import make_message_id, render, reply_subject
from connectors.email.settings import load_settings
from dialog.messages import Option, Reply

BASE = {"ATENDE_MAIL_ADDRESS": "HelpDesk@Desk.Example", "ATENDE_SMTP_OUT_HOST": "smtp.desk.example"}


def test_off_when_nothing_is_set(tmp_path: Path) -> None:
    assert load_settings({"ATENDE_TELEGRAM_TOKEN": "x", "PATH": "/bin"}) is None
    ctx = ConnectorContext(inbox=None, data_dir=tmp_path, public_url=None)  # type: ignore[arg-type]
    assert mount(ctx, {}) is None


def test_defaults() -> None:
    s = load_settings(BASE)
    assert s is not None
    assert s.mail_address == "helpdesk@desk.example" and s.domain == "desk.example"
    assert (s.smtp_listen_host, s.smtp_listen_port) == ("127.0.0.1", 2525)
    assert s.mail_send_cap_per_hour == 10
    assert s.mail_max_message_bytes == 35 * 1024 * 1024
    assert not s.imap_enabled and s.smtp_out_port == 587 and s.smtp_out_starttls


@pytest.mark.parametrize(("env", "named"), [
    ({"ATENDE_SMTP_OUT_HOST": "smtp.x"}, "ATENDE_MAIL_ADDRESS"),
    ({"ATENDE_IMAP_HOST": "imap.x"}, "ATENDE_MAIL_ADDRESS"),
    ({"ATENDE_MAIL_ADDRESS": "a@b.example"}, "ATENDE_SMTP_OUT_HOST"),
    ({**BASE, "ATENDE_IMAP_HOST": "imap.x", "ATENDE_IMAP_USER": "u"}, "ATENDE_IMAP_PASSWORD"),
    ({**BASE, "ATENDE_IMAP_USER": "u", "ATENDE_IMAP_PASSWORD": "p"}, "ATENDE_IMAP_HOST"),
    ({**BASE, "ATENDE_SMTP_OUT_USER": "u"}, "ATENDE_SMTP_OUT_PASSWORD"),
    ({**BASE, "ATENDE_SMTP_LISTEN_PORT": "seventy"}, "ATENDE_SMTP_LISTEN_PORT"),
    ({**BASE, "ATENDE_MAIL_ADDRESS": "not-an-address"}, "ATENDE_MAIL_ADDRESS"),
])
def test_half_configured_names_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_given_mapping_is_the_only_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATENDE_MAIL_SEND_CAP_PER_HOUR", "99")
    assert load_settings(BASE).mail_send_cap_per_hour == 10  # type: ignore[union-attr]
    monkeypatch.setenv("ATENDE_MAIL_ADDRESS", "desk@env.example")
    monkeypatch.setenv("ATENDE_SMTP_OUT_HOST", "smtp.env.example")
    from_env = load_settings()
    assert from_env is not None and from_env.mail_send_cap_per_hour == 99 and from_env.domain == "env.example"


def test_imap_port_defaults_follow_ssl() -> None:
    full = {**BASE, "ATENDE_IMAP_HOST": "imap.x", "ATENDE_IMAP_USER": "u", "ATENDE_IMAP_PASSWORD": "p"}
    assert load_settings(full).resolved_imap_port == 993  # type: ignore[union-attr]
    assert load_settings({**full, "ATENDE_IMAP_SSL": "false"}).resolved_imap_port == 143  # type: ignore[union-attr]


def test_render_threads_tags_and_numbers_options() -> None:
    replies = [Reply("Thanks, we are on it."),
               Reply("What is affected?", options=(Option("printer", "Printer"), Option("net", "Network")))]
    msg = render(replies, desk_address="helpdesk@desk.example", desk_name="Service Desk", to="a@example.com",
                 subject="RE: [INC-000123] Printer jams", ticket="INC-000123", in_reply_to="u1@example.com",
                 references=["u0@example.com"], auto="auto-replied")
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Re: [INC-000123] Printer jams"
    assert parsed["In-Reply-To"] == "<u1@example.com>"
    assert parsed["References"] == "<u0@example.com> <u1@example.com>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["Message-ID"].startswith("<atende.INC-000123.") and parsed["Message-ID"].endswith(
        "@desk.example>")
    assert parsed["From"] == "Service Desk <helpdesk@desk.example>"
    body = parsed.get_body(preferencelist=("plain",)).get_content()
    assert "Thanks, we are on it.\n\nWhat is affected?\n1. Printer\n2. Network" in body


def test_subject_without_ticket_or_subject() -> None:
    assert reply_subject("", None) == "Re: (no subject)"
    assert reply_subject("Fwd: Printer", "REQ-000001") == "Re: [REQ-000001] Printer"
    assert make_message_id("d.example", None, "ab") == "<atende.ab@d.example>"


def test_person_written_mail_is_not_auto_submitted() -> None:
    msg = render([Reply("I restarted the server.")], desk_address="h@d.example", desk_name="D",
                 to="a@x.example", subject="x", auto=None)
    assert msg["Auto-Submitted"] is None


def test_strip_reply_never_loses_the_users_words() -> None:
    assert strip_reply("") == ""
    assert strip_reply("> all quoted\n> here") == "> all quoted\n> here"
    assert strip_reply("Inline answer\n> question\nmore") == "Inline answer\nmore"
    steps = "Steps:\n- open Outlook\n- click Send"
    assert strip_reply(f"{steps}\n\n-- \nBob") == steps
    assert strip_reply("Funciona.\n\nEnviado do meu iPhone") == "Funciona."
    assert strip_reply("Resolved.\n\n-----Original Message-----\nFrom: x") == "Resolved."
