"""The corpus of odd messages (tests/fixtures/email/*.eml) through the pure parser."""

from __future__ import annotations

import pytest

from connectors.email.parse import (
    MalformedMail,
    clean_subject,
    decode_bytes,
    message_text,
    parse,
    parse_mail,
)
from tests.connectors.email.conftest import DESK, fixture_bytes


def mail(name: str, envelope_from: str | None = None):  # type: ignore[no-untyped-def]
    return parse_mail(fixture_bytes(name), desk_address=DESK, envelope_from=envelope_from)


def test_multipart_alternative_prefers_plain_and_strips_signature() -> None:
    m = mail("multipart_alternative.eml")
    assert m.from_address == "alice.smith@example.com"  # lower-cased: it is the conversation key
    assert m.from_name == "Alice Smith"
    assert m.text == "Hi,\n\nthe printer on floor 3 jams on every second page since this morning."
    assert "Finance" not in m.text and "Best regards" not in m.text
    assert m.attachments == ()  # the HTML alternative is the body, not an attachment
    assert m.locale_hint == "en"
    assert m.no_reply_reason is None


def test_new_mail_text_is_subject_plus_body() -> None:
    inbound = parse(fixture_bytes("multipart_alternative.eml"), DESK)
    assert inbound is not None
    assert inbound.text.startswith("Printer on floor 3 jams every time\n\nHi,")
    assert inbound.conversation_key == "email:alice.smith@example.com"
    assert inbound.sender.email is None and not inbound.sender.verified  # parse() cannot check the sender
    assert inbound.provider_message_id == "alt-0001@mail.example.com"
    assert inbound.idempotency_key == "email:alice.smith@example.com/alt-0001@mail.example.com"
    checked = parse(fixture_bytes("multipart_alternative.eml"), DESK, verified=True)
    assert checked is not None and checked.sender.verified
    assert checked.sender.email == "alice.smith@example.com"


def test_html_only_becomes_text_without_the_quote() -> None:
    m = mail("html_only.eml")
    assert "desde esta mañana no puedo conectarme a la VPN: me da el error 809." in m.text
    assert "<" not in m.text and "color" not in m.text
    assert "Texto antiguo" not in m.text  # gmail_quote blockquote cut
    assert m.from_name == "José Pérez"


def test_winmail_dat_is_kept_as_is() -> None:
    m = mail("winmail_dat.eml")
    names = {a.name: a for a in m.attachments}
    assert set(names) == {"winmail.dat", "error.png"}
    assert names["winmail.dat"].content_type == "application/ms-tnef"
    assert names["winmail.dat"].data.startswith(b"\x78\x9f\x3e\x22")  # TNEF signature, untouched
    assert m.text.startswith("Outlook shows an error")


@pytest.mark.parametrize(("name", "subject", "display"), [
    ("eight_bit_headers.eml", "Não consigo acessar o sistema de férias", "João Antônio"),
    ("eight_bit_headers_latin1.eml", "Impressão não funciona", "Inês Conceição"),
])
def test_raw_8bit_headers_are_decoded(name: str, subject: str, display: str) -> None:
    m = mail(name)
    assert m.subject == subject
    assert m.from_name == display


@pytest.mark.parametrize(("name", "expected"), [
    ("wrong_charset_utf8_as_ascii.eml", "Não consigo redefinir a senha"),
    ("wrong_charset_latin1_as_utf8.eml", "Mi contraseña caducó y la página"),
    ("unknown_charset.eml", "The “smart quotes” and the café menu"),
])
def test_wrong_or_unknown_charset_is_read(name: str, expected: str) -> None:
    assert expected in mail(name).text


def test_rfc2047_subject_and_name_decoded() -> None:
    m = mail("rfc2047_subject.eml")
    assert m.subject == "Problema no e-mail – não sincroniza"
    assert m.from_name == "Álvaro Gonçalves"


def test_no_subject() -> None:
    m = mail("no_subject.eml")
    assert m.subject == ""
    assert message_text(m) == "My laptop battery drains in one hour."


def test_reply_all_with_desk_in_cc_is_from_the_sender() -> None:
    m = mail("reply_all_cc.eml")
    assert m.from_address == "erin@example.com"
    assert DESK in m.cc and "frank@example.com" in m.to
    assert m.no_reply_reason is None
    assert m.text == "Adding the help desk: the screen in meeting room B shows no signal from any laptop."
    assert not m.threaded and m.ticket_ref is None  # somebody else's thread: a new conversation


@pytest.mark.parametrize(("name", "reason"), [
    ("bounce.eml", "auto-submitted"),
    ("auto_reply.eml", "auto-submitted"),
    ("mailing_list.eml", "precedence"),
])
def test_robots_are_never_answered(name: str, reason: str) -> None:
    m = mail(name)
    assert m.no_reply_reason == reason
    inbound = parse(fixture_bytes(name), DESK)
    assert inbound is not None and inbound.extras["no_reply"] is True


def test_each_robot_signal_alone() -> None:
    base = b"From: someone@example.com\r\nTo: helpdesk@desk.example\r\nSubject: hello\r\n"
    cases = {
        b"Auto-Submitted: auto-generated\r\n": "auto-submitted",
        b"Precedence: bulk\r\n": "precedence",
        b"Precedence: junk\r\n": "precedence",
        b"List-Id: <x.lists.example.com>\r\n": "list",
        b"X-Auto-Response-Suppress: All\r\n": "auto-reply",
        b"Return-Path: <>\r\n": "null-sender",
        b"X-Atende-Loop: helpdesk@desk.example\r\n": "own-mail-looped",
    }
    for header, reason in cases.items():
        m = parse_mail(base + header + b"\r\nbody\r\n", desk_address=DESK)
        assert m.no_reply_reason == reason, header
    assert parse_mail(base + b"Auto-Submitted: no\r\n\r\nbody\r\n", desk_address=DESK).no_reply_reason is None
    assert parse_mail(base + b"\r\nbody\r\n", desk_address=DESK, envelope_from="").no_reply_reason == \
        "null-sender"
    for robot in (b"MAILER-DAEMON@mx.example.com", b"postmaster@example.com"):
        raw = base.replace(b"someone@example.com", robot) + b"\r\nbody\r\n"
        assert parse_mail(raw, desk_address=DESK).no_reply_reason == "robot-sender"
    own = base.replace(b"someone@example.com", DESK.encode()) + b"\r\nbody\r\n"
    assert parse_mail(own, desk_address=DESK).no_reply_reason == "own-address"
    oof = base.replace(b"Subject: hello", b"Subject: Respuesta autom\xc3\xa1tica: Re: impresora")
    oof += b"\r\nx\r\n"
    assert parse_mail(oof, desk_address=DESK).no_reply_reason == "auto-subject"


@pytest.mark.parametrize(("name", "text", "ref"), [
    ("reply_es_quoted.eml", "Sigue igual, ahora el error es 691.", "INC-000123"),
    ("reply_pt_quoted.eml", "Já tentei de novo e continua expirando.", "INC-000124"),
    ("reply_en_outlook.eml", "It jams with the recycled paper only.", "INC-000125"),
])
def test_quoted_replies_keep_only_the_new_text_and_find_the_ticket(name: str, text: str, ref: str) -> None:
    m = mail(name)
    assert m.text == text
    assert m.ticket_ref == ref
    inbound = parse(fixture_bytes(name), DESK)
    assert inbound is not None
    assert inbound.extras["ticket_ref"] == ref
    assert inbound.text == f"{text}\n\n[{ref}]"  # the engine's reference detection sees it


def test_ticket_from_our_message_id_when_subject_has_no_tag() -> None:
    m = mail("reply_pt_quoted.eml")
    assert "[" not in m.subject and m.threaded and m.ticket_ref == "INC-000124"


def test_message_ids_of_other_domains_do_not_count() -> None:
    raw = (b"From: a@example.com\r\nSubject: Re: x\r\nIn-Reply-To: <atende.INC-000001.abcd@evil.example>\r\n"
           b"\r\nhello\r\n")
    m = parse_mail(raw, desk_address=DESK)
    assert not m.threaded and m.ticket_ref is None


def test_no_sender_is_malformed() -> None:
    with pytest.raises(MalformedMail):
        mail("no_from.eml")
    assert parse(fixture_bytes("no_from.eml"), DESK) is None
    assert mail("no_from.eml", envelope_from="x@example.com").from_address == "x@example.com"


def test_missing_message_id_gets_a_stable_one() -> None:
    raw = b"From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    first = parse_mail(raw, desk_address=DESK).message_id
    assert first.startswith("sha256:") and first == parse_mail(raw, desk_address=DESK).message_id


def test_garbage_does_not_raise() -> None:
    junk = bytes(range(256)) * 50
    with pytest.raises(MalformedMail):
        parse_mail(junk, desk_address=DESK)
    broken = (b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"nope\"\r\n\r\n"
              b"--other\r\nContent-Type: text/plain\r\n\r\nhalf a mime\r\n")
    assert parse_mail(broken, desk_address=DESK).from_address == "a@example.com"


def test_decode_bytes_paths() -> None:
    assert decode_bytes("ação".encode()) == "ação"
    assert decode_bytes("ação".encode("latin-1"), "iso-8859-1") == "ação"
    assert decode_bytes("ação".encode(), "iso-8859-1") == "ação"  # mislabelled UTF-8
    assert decode_bytes("ação".encode("cp1252"), "utf-8") == "ação"  # mislabelled cp1252
    assert decode_bytes(b"plain", "no-such-charset") == "plain"


def test_clean_subject() -> None:
    assert clean_subject("RE: Fwd: [INC-000123] Printer") == "Printer"
    assert clean_subject("Res: RV: AW: Impresora") == "Impresora"
    assert clean_subject("") == ""


def test_8bit_header_the_stdlib_cannot_parse_again_is_not_a_crash() -> None:
    """Found by benchmarks/fuzz.py: re-storing a decoded 8-bit From raised IndexError inside the stdlib's
    address parser, so the listener answered 451 forever (and IMAP fetched the mail every round)."""
    for raw in (b"From: \xc2\x80@\r\n\r\n", b"From: \xc2\x80@\r\nSubject: x\r\n\r\nbody\r\n"):
        try:
            mail = parse_mail(raw, desk_address=DESK)
        except MalformedMail:
            continue
        assert isinstance(mail.text, str)
