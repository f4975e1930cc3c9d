"""The Slack channel end to end: signed requests -> intake -> replies through slack_sdk to the fake API."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ChannelError
from dialog.messages import Option, Reply
from tests.connectors.slack.conftest import CAP, SlackHarness, signed_headers
from tests.connectors.slack.fake_slack import BOT_USER

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def press(posted: dict[str, Any], value: str, *, trigger: str = "trig-1") -> dict[str, Any]:
    """The block_actions payload Slack sends when the user presses our button in ``posted``."""
    payload = load("block_actions")
    payload["trigger_id"] = trigger
    payload["channel"]["id"] = payload["container"]["channel_id"] = posted["channel"]
    payload["message"]["blocks"] = posted["blocks"]
    payload["message"]["text"] = posted["text"]
    if posted.get("thread_ts"):
        payload["message"]["thread_ts"] = posted["thread_ts"]
    button = next(e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["value"] == value)
    payload["actions"] = [{**button, "block_id": "atende_options_0", "action_ts": str(time.time())}]
    return payload


async def test_url_verification_is_answered_after_the_signature_check(slack_harness: SlackHarness) -> None:
    h = slack_harness
    r = await h.event(load("url_verification"))
    assert r.status_code == 200 and r.json() == {"challenge": load("url_verification")["challenge"]}
    body = json.dumps(load("url_verification")).encode()
    forged = await h.event(None, raw=body, headers=signed_headers(body, secret="not-the-signing-secret"))
    assert forged.status_code == 401


async def test_full_conversation_in_a_dm_ends_in_a_ticket(slack_harness: SlackHarness) -> None:
    h = slack_harness
    h.fake.add_user("U0ANA", email="ana@example.com")
    assert (await h.event(load("event_dm"))).status_code == 200
    await h.settle()
    thanks, question = h.fake.posted()
    assert thanks["channel"] == question["channel"] == "D0ANA"
    assert "thread_ts" not in question  # top-level DM: answered top-level
    actions = next(b for b in question["blocks"] if b["type"] == "actions")
    assert [e["value"] for e in actions["elements"]] == ["impact.individual", "impact.team"]
    (first,) = h.intake.received
    assert first.sender.email == "ana@example.com"  # users.info, confirmed e-mail
    assert first.sender.display_name == "Ana Souza" and first.locale_hint == "pt-BR"

    r = await h.interaction(press(question, "impact.team"))
    assert r.status_code == 200
    await h.settle()
    (ticket,) = h.intake.tickets
    assert ticket["impact"] == "impact.team"
    assert ticket["description"] == "My laptop can't reach the VPN (https://vpn.example.com) & Outlook <3"
    assert ticket["email"] == "ana@example.com"
    assert h.fake.posted()[-1]["text"] == "Ticket INC-000001 created."
    (update,) = h.fake.posted("chat.update")  # the pressed question shows the choice, buttons gone
    assert [b["type"] for b in update["blocks"]] == ["section", "context"]
    assert h.fake.methods().count("users.info") == 1  # cached for the second message


async def test_app_mention_is_answered_in_the_thread(slack_harness: SlackHarness) -> None:
    h = slack_harness
    h.fake.users_scope = False  # no users:read scope: the message goes on without e-mail
    assert (await h.event(load("event_app_mention"))).status_code == 200
    await h.settle()
    posted = h.fake.posted()
    assert {(p["channel"], p["thread_ts"]) for p in posted} == {("C0IT", "1764190100.000200")}
    (msg,) = h.intake.received
    assert msg.sender.email is None and msg.text.startswith("the printer on floor 3 jams")
    await h.interaction(press({**posted[1], "thread_ts": "1764190100.000200"}, "impact.individual"))
    await h.settle()
    assert h.intake.tickets[0]["conversation_key"] == "slack:C0IT:1764190100.000200"


async def test_unconfirmed_email_is_not_an_identity(slack_harness: SlackHarness) -> None:
    h = slack_harness
    h.fake.add_user("U0ANA", email="ana@example.com", confirmed=False)
    await h.event(load("event_dm"))
    assert h.intake.received[0].sender.email is None


async def test_bots_and_channel_chatter_are_never_answered(slack_harness: SlackHarness) -> None:
    h = slack_harness
    for name in ("event_bot_message", "event_own_message", "event_channel_message", "event_message_changed"):
        assert (await h.event(load(name))).status_code == 200
    own = load("event_own_message")  # our own message without bot_id: known from auth.test at start
    own["event_id"] = "Ev0OWN00002"
    del own["event"]["bot_id"]
    del own["authorizations"]
    own["event"]["user"] = BOT_USER
    assert (await h.event(own)).status_code == 200
    await h.settle()
    assert h.intake.received == [] and h.fake.posted() == []


@pytest.mark.parametrize("how", ["no headers", "wrong secret", "stale timestamp", "tampered body",
                                 "garbage timestamp"])
async def test_forged_requests_are_refused_and_leave_nothing(slack_harness: SlackHarness, how: str) -> None:
    h = slack_harness
    body = json.dumps(load("event_dm")).encode()
    headers = {
        "no headers": {"Content-Type": "application/json"},
        "wrong secret": signed_headers(body, secret="another-signing-secret-123"),
        "stale timestamp": signed_headers(body, timestamp=int(time.time()) - 6 * 60),
        "tampered body": signed_headers(body.replace(b"VPN", b"XYZ")),
        "garbage timestamp": {**signed_headers(body), "X-Slack-Request-Timestamp": "soon"},
    }[how]
    assert (await h.event(None, raw=body, headers=headers)).status_code == 401
    for route in ("/webhooks/slack/interactions", "/webhooks/slack/commands"):
        form = b"payload=%7B%7D"
        headers = signed_headers(form, secret="another-secret-xyz-123")
        r = await h.http.post(route, content=form, headers=headers)
        assert r.status_code == 401
    await h.settle()
    assert h.intake.received == []
    assert [m for m in h.fake.methods() if m != "auth.test"] == []


async def test_redeliveries_are_no_ops(slack_harness: SlackHarness) -> None:
    h = slack_harness
    body = json.dumps(load("event_dm")).encode()
    assert (await h.event(None, raw=body)).status_code == 200
    retry_headers = {**signed_headers(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await h.event(None, raw=body, headers=retry_headers)).status_code == 200
    h.connector._seen.clear()  # after a restart the in-memory set is empty: the intake still knows
    assert (await h.event(None, raw=body, headers=retry_headers)).status_code == 200
    await h.settle()
    assert len(h.intake.received) == 1 and len(h.intake.processed) == 1
    assert len(h.fake.posted()) == 2


@pytest.mark.parametrize(("route", "body"), [
    ("/webhooks/slack/events", b"{not json"),
    ("/webhooks/slack/events", b'{"type": "event_callback", "event": {"type": "message"}}'),
    ("/webhooks/slack/events", b"[1, 2]"),
    ("/webhooks/slack/interactions", b"payload=%7Bnot+json"),
    ("/webhooks/slack/interactions", b"nothing=here"),
    ("/webhooks/slack/commands", b"text=hello"),
])
async def test_malformed_payloads_get_400_and_store_nothing(slack_harness: SlackHarness, route: str,
                                                            body: bytes) -> None:
    h = slack_harness
    r = await h.http.post(route, content=body, headers=signed_headers(body))
    assert r.status_code == 400
    assert h.intake.received == []


async def test_the_ack_comes_before_the_work(slack_harness: SlackHarness) -> None:
    h = slack_harness
    gate = asyncio.Event()
    original = h.intake.process

    async def slow_process(message: Any) -> Any:
        await gate.wait()  # the engine is slow (model loading, KB search...)
        return await original(message)

    h.intake.process = slow_process
    r = await asyncio.wait_for(h.event(load("event_dm")), timeout=3)
    assert r.status_code == 200 and len(h.intake.received) == 1  # recorded, acknowledged, not yet answered
    assert h.fake.posted() == []
    gate.set()
    await h.settle()
    assert len(h.fake.posted()) == 2


async def test_ticket_command_opens_a_dm(slack_harness: SlackHarness) -> None:
    h = slack_harness
    r = await h.command(load("command_ticket"))
    assert r.status_code == 200
    await h.settle()
    (msg,) = h.intake.received
    assert msg.text == "the wifi in room 4 is down" and msg.conversation_key == "slack:D0ANA"
    assert h.fake.posted("conversations.open") == [{"users": "U0ANA"}]
    assert {p["channel"] for p in h.fake.posted()} == {"D0ANA"}
    status = {**load("command_ticket"), "text": "status", "trigger_id": "t-2"}
    assert (await h.command(status)).status_code == 200
    await h.settle()
    assert h.intake.received[-1].text == "status"


async def test_empty_ticket_command_shows_usage_and_stores_nothing(slack_harness: SlackHarness) -> None:
    h = slack_harness
    r = await h.command({**load("command_ticket"), "text": "  "})
    assert r.status_code == 200 and "/ticket status" in r.json()["text"]
    assert h.intake.received == []


async def test_files_are_downloaded_with_the_bot_token_under_the_cap(slack_harness: SlackHarness) -> None:
    h = slack_harness
    envelope = load("event_dm_files")
    envelope["event"]["files"][0]["url_private_download"] = h.fake.file_url("F0SHOT", "error_screen.png")
    h.fake.files["F0SHOT"] = b"PNG bytes"
    big = dict(envelope["event"]["files"][0], id="F0BIG", name="dump.bin", size=CAP + 1,
               url_private_download=h.fake.file_url("F0BIG", "dump.bin"))
    liar = dict(envelope["event"]["files"][0], id="F0LIAR", name="liar.bin", size=10,
                url_private_download=h.fake.file_url("F0LIAR", "liar.bin"))
    h.fake.files["F0LIAR"] = b"x" * (CAP + 1)
    elsewhere = dict(envelope["event"]["files"][0], id="F0EVIL", name="evil.bin", size=10,
                     url_private_download="http://attacker.example/steal")
    envelope["event"]["files"] = [envelope["event"]["files"][0], big, liar, elsewhere]
    assert (await h.event(envelope)).status_code == 200
    await h.settle()
    (recorded,) = h.intake.received
    assert all(a.path is None for a in recorded.attachments)  # recorded before the downloads
    (processed,) = h.intake.processed
    shot, big_att, liar_att, evil_att = processed.attachments
    assert shot.path is not None and Path(shot.path).read_bytes() == b"PNG bytes"
    assert Path(shot.path).parent == h.data_dir / "attachments" / "slack"
    assert big_att.path is None and liar_att.path is None and evil_att.path is None
    assert processed.extras["attachments_too_large"] == ["dump.bin", "liar.bin"]
    assert processed.extras["attachments_failed"] == ["evil.bin"]
    assert {auth for _, auth in h.fake.file_requests} == {"Bearer xoxb-1111-2222-testtoken"}
    assert sorted(p.name for p in (h.data_dir / "attachments" / "slack").iterdir()) == [Path(shot.path).name]


async def test_agent_reply_is_pushed_through_the_outbound(slack_harness: SlackHarness) -> None:
    h = slack_harness
    await h.connector.send("slack:C0IT:1764190100.000200",
                           [Reply("An agent replied: fixed.", ticket="INC-1")])
    await h.connector.send("slack:D0ANA", [Reply("Solved?", options=(Option("yes", "Yes"),))])
    thread, dm = h.fake.posted()
    assert (thread["channel"], thread["thread_ts"], thread["text"]) == ("C0IT", "1764190100.000200",
                                                                         "An agent replied: fixed.")
    assert dm["channel"] == "D0ANA" and "thread_ts" not in dm
    assert dm["blocks"][-1]["elements"][0]["value"] == "yes"
    with pytest.raises(ChannelError):
        await h.connector.send("telegram:1", [Reply("x")])


async def test_outbound_retries_429_honouring_retry_after(slack_harness: SlackHarness) -> None:
    h = slack_harness
    h.fake.fail("chat.postMessage", 429, error="ratelimited", retry_after=1)
    started = time.monotonic()
    await h.connector.send("slack:D0ANA", [Reply("hello")])
    assert time.monotonic() - started >= 1.0
    assert h.fake.methods().count("chat.postMessage") == 2


async def test_outbound_gives_up_after_5xx_with_a_retryable_error(slack_harness: SlackHarness) -> None:
    h = slack_harness
    h.fake.fail("chat.postMessage", 503, error="service_unavailable", times=10)
    with pytest.raises(ChannelError) as info:
        await h.connector.send("slack:D0ANA", [Reply("hello")])
    assert info.value.retryable and info.value.status == 503
    assert h.fake.methods().count("chat.postMessage") == h.connector.retry_attempts


async def test_a_refused_delivery_is_recorded_without_retries(slack_harness: SlackHarness) -> None:
    h = slack_harness
    h.fake.fail("chat.postMessage", 200, error="not_in_channel", times=10)
    await h.event(load("event_app_mention"))
    await h.settle()
    assert h.fake.methods().count("chat.postMessage") == 1
    ((channel, address, error),) = h.intake.failures
    assert (channel, address, error.retryable) == ("slack", "U0ANA", False)
    assert "not_in_channel" in str(error)
