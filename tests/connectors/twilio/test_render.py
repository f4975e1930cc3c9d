"""render.py: numbered lists for WhatsApp/SMS, TwiML for the IVR."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from connectors.twilio.render import (
    MAX_BODY,
    Prompt,
    language_menu,
    offered_options,
    record_offer,
    render_messages,
    reply_turn,
    spell_reference,
    template_variables,
)
from dialog.messages import Option, Reply

IMPACT = (Option("individual", "Just me"), Option("team", "My team"))


def test_options_become_a_numbered_list() -> None:
    bodies = render_messages([Reply("Thanks."), Reply("Who is affected?", options=IMPACT, kind="question")])
    assert bodies == ["Thanks.", "Who is affected?\n1. Just me\n2. My team"]
    assert offered_options([Reply("a", options=IMPACT), Reply("b")]) == IMPACT
    assert offered_options([Reply("b")]) == ()


def test_long_replies_are_split_under_twilios_limit() -> None:
    text = ("word " * 700).strip()
    bodies = render_messages([Reply(text)])
    assert len(bodies) == 3 and all(len(b) <= MAX_BODY for b in bodies)
    assert " ".join(bodies) == text


def test_template_variables() -> None:
    data = json.loads(template_variables([Reply("Your ticket was resolved.", ticket="INC-000123")], None))
    assert data == {"1": "INC-000123", "2": "Your ticket was resolved."}


def test_reference_is_spelled_character_by_character() -> None:
    assert spell_reference("INC-000123") == "I N C, 0 0 0 1 2 3"
    assert spell_reference("req 42") == "R E Q, 4 2"


def _xml(twiml: str) -> ET.Element:
    return ET.fromstring(twiml)


def test_options_become_digits_inside_a_gather() -> None:
    turn = reply_turn([Reply("Got it."), Reply("Who is affected?", options=IMPACT, kind="question")], "en-US",
                      lambda p: f"https://x/gather?opts={','.join(p.option_ids)}")
    root = _xml(turn.twiml)
    assert [s.text for s in root.findall("Say")] == ["Got it."]
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib["input"] == "dtmf speech" and gather.attrib["numDigits"] == "1"
    assert gather.attrib["language"] == "en-US" and gather.attrib["actionOnEmptyResult"] == "true"
    assert gather.attrib["action"] == "https://x/gather?opts=individual,team"
    assert [s.text for s in gather.findall("Say")] == ["Who is affected?", "Press 1 for Just me.",
                                                      "Press 2 for My team."]
    assert {s.attrib["voice"] for s in root.iter("Say")} == {"Polly.Joanna"}
    assert turn.prompt == Prompt("Who is affected?", IMPACT)


def test_a_ticket_is_read_back_and_the_call_ends() -> None:
    turn = reply_turn([Reply("Ticket INC-000123 created.", ticket="INC-000123", kind="ticket")], "es-MX",
                      lambda p: "unused")
    root = _xml(turn.twiml)
    says = [s.text for s in root.findall("Say")]
    assert says[0] == "Ticket INC-000123 created. Su número de referencia es: I N C, 0 0 0 1 2 3."
    assert root.find("Hangup") is not None and root.find("Gather") is None
    assert turn.prompt is None and turn.references == ("INC-000123",)


def test_language_menu_speaks_each_language_in_its_voice() -> None:
    root = _xml(language_menu("https://x/language?attempt=0"))
    voices = [(s.attrib["language"], s.attrib["voice"]) for s in root.iter("Say")]
    assert ("es-MX", "Polly.Mia") in voices and ("pt-BR", "Polly.Camila") in voices
    assert ("en-US", "Polly.Joanna") in voices


def test_record_offer() -> None:
    root = _xml(record_offer("pt-BR", "https://x/recording"))
    record = root.find("Record")
    assert record is not None and record.attrib["action"] == "https://x/recording"
    assert record.attrib["playBeep"] == "true" and record.attrib["finishOnKey"] == "#"
    assert "mensagem" in " ".join(s.text or "" for s in root.iter("Say"))
