"""Twilio: WhatsApp and SMS (Messaging) and the phone IVR (Voice, TwiML), one account, one connector.

``mount(ctx, env)`` returns None when no ATENDE_TWILIO_* variable is set, raises ConfigError when the channel
is half-configured, and otherwise the routes (every one checks X-Twilio-Signature first), the Outbound for
agent pushes and the stop hook that waits for the deliveries in flight.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from connectors.base import ConnectorContext, Mounted
from connectors.twilio.settings import TwilioSettings, load_settings

if TYPE_CHECKING:
    from fastapi import APIRouter

    from connectors.twilio.messaging import TwilioMessaging
    from connectors.twilio.voice import TwilioVoice

__all__ = ["TwilioSettings", "build", "mount"]


def build(ctx: ConnectorContext, settings: TwilioSettings) -> tuple[TwilioMessaging, TwilioVoice, APIRouter]:
    """The connector's parts, for callers (tests, benchmarks) that want to reach them directly.

    The SDK modules are imported here, not at package import: an unconfigured channel costs no start-up time.
    """
    from fastapi import APIRouter

    from connectors.twilio.client import TwilioClient
    from connectors.twilio.messaging import TwilioMessaging
    from connectors.twilio.state import ContactState
    from connectors.twilio.voice import TwilioVoice
    from connectors.twilio.webhook import SignedForm

    client = TwilioClient(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base)
    state = ContactState(ctx.state)
    form = SignedForm(settings.twilio_auth_token, settings.public_url)
    messaging = TwilioMessaging(ctx, settings, client, state, form)
    voice = TwilioVoice(ctx, settings.public_url, form, messaging)

    router = APIRouter(tags=["twilio"])
    router.add_api_route("/webhooks/twilio/messaging", messaging.webhook, methods=["POST"])
    router.add_api_route("/webhooks/twilio/voice", voice.incoming, methods=["POST"])
    router.add_api_route("/webhooks/twilio/voice/language", voice.language, methods=["POST"])
    router.add_api_route("/webhooks/twilio/voice/gather", voice.gather, methods=["POST"])
    router.add_api_route("/webhooks/twilio/voice/recording", voice.recording, methods=["POST"])
    router.add_api_route("/webhooks/twilio/voice/status", voice.status, methods=["POST"])
    return messaging, voice, router


def mount(ctx: ConnectorContext, env: Mapping[str, str] | None = None) -> Mounted | None:
    settings = load_settings(os.environ if env is None else env, ctx.public_url)
    if settings is None:
        return None
    messaging, _voice, router = build(ctx, settings)

    async def stop() -> None:
        await messaging.stop()
        await messaging.client.close()

    return Mounted(name="twilio", channels=type(messaging).channels, router=router, outbound=messaging,
                   stop=stop)
