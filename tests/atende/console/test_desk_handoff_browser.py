"""Handoff end to end in real Chromium: the web-chat user asks for a person; the request appears in the
agent's open handoff inbox without a reload; the agent takes it and they chat live while the bot says
nothing; the agent hands back and the bot answers again.

The screenshot console-handoffs.png goes to $ATENDE_SCREENS_DIR when set, else to tmp.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from atende.runtime import Runtime
from tests.atende.console.test_desk_browser import AGENT, desk, launch, log_in, screens_dir
from tests.atende.test_webchat_browser import converse

pytestmark = pytest.mark.chromium
__all__ = ["desk"]  # the fixture, imported for this module's tests

BOT_ONLY = "#log > li.msg--bot:not(.msg--agent)"


async def test_handoff_end_to_end(desk: tuple[str, Runtime], tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    base, runtime = desk
    shots = screens_dir(tmp_path)
    async with async_playwright() as pw:
        browser = await launch(pw)
        user = await (await browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-ES")
                      ).new_page()
        await user.goto(base + "/")
        ref = await converse(user, 1280)

        agent = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await log_in(agent, base)
        await agent.goto(base + "/console/handoffs")
        await agent.locator("[data-live-status]").wait_for()
        await asyncio.sleep(0.5)  # the feed is open before the user asks
        assert await agent.locator(f'li.handoff[data-ref="{ref}"]').count() == 0

        # 1-2. The user asks for a person; the inbox shows it without a reload.
        await user.fill("#text", "Quiero hablar con una persona, por favor")
        await user.press("#text", "Enter")
        item = agent.locator(f'li.handoff[data-ref="{ref}"][data-status="waiting"]')
        await item.wait_for(timeout=15_000)
        await agent.screenshot(path=str(shots / "console-handoffs.png"), full_page=True)

        # 3. The agent takes it and chats live.
        await item.get_by_role("button", name="Take").click()
        await agent.wait_for_url(f"**/console/tickets/{ref}?done=handoffs.taken")
        await user.locator("#log > li", has_text="Ana Agent").first.wait_for(timeout=15_000)
        bot_lines = await user.locator(BOT_ONLY).count()
        await agent.fill("#reply-text", "Hola, soy Ana. ¿Qué mensaje de error ves?")
        await agent.get_by_role("button", name="Reply", exact=True).click()
        await user.locator("#log > li.msg--agent", has_text="¿Qué mensaje de error ves?").wait_for(
            timeout=15_000)
        await user.fill("#text", "Pone papel atascado en la bandeja 2")
        await user.press("#text", "Enter")
        await agent.locator("#lines li.line--user", has_text="bandeja 2").wait_for(timeout=15_000)

        # 4. The bot said nothing meanwhile.
        await asyncio.sleep(1.0)
        assert await user.locator(BOT_ONLY).count() == bot_lines

        # 5. Hand back (the user is told they are back with the assistant): the bot answers again.
        shown = await user.locator("#log > li").count()
        await agent.get_by_role("button", name="Hand back to the bot").click()
        await agent.wait_for_url(f"**/console/tickets/{ref}?done=handoffs.released")
        await user.locator("#log > li").nth(shown).wait_for(timeout=15_000)
        after_release = await user.locator(BOT_ONLY).count()
        await user.fill("#text", "gracias")
        await user.press("#text", "Enter")
        await user.locator(BOT_ONLY).nth(after_release).wait_for(timeout=15_000)
        await browser.close()

    kinds = [(e.kind, e.actor) for e in runtime.tickets.events(ref)]
    assert ("handoff_taken", AGENT) in kinds and ("handoff_released", AGENT) in kinds
    taken = next(i for i, k in enumerate(kinds) if k[0] == "handoff_taken")
    released = next(i for i, k in enumerate(kinds) if k[0] == "handoff_released")
    assert not [k for k in kinds[taken:released] if k == ("message_out", "bot")]
