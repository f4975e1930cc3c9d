"""The seam every message crosses: the Inbox records (ingress), the Dispatcher processes and delivers.

Connectors authenticate, parse, ``Inbox.receive`` and acknowledge; the web chat and voice ``Inbox.ask`` and
wait for their answer; agent actions and ticket events ``Inbox.post_event`` behind the user's messages. One
Dispatcher runs the engine per conversation in order and delivers through the channel's Outbound.
"""

from atende.dispatch.context import current_message_key
from atende.dispatch.dispatcher import Dispatcher, Outcome
from atende.dispatch.inbox import Inbox

__all__ = ["Dispatcher", "Inbox", "Outcome", "current_message_key"]
