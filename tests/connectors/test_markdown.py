"""Knowledge-base articles rendered per channel: safe HTML for the web, plain text, Slack mrkdwn."""

from __future__ import annotations

from connectors.base import render_plain
from connectors.markdown import to_html, to_mrkdwn, to_plain
from connectors.slack.render import escape
from connectors.slack.render import render as slack_render
from dialog.messages import Reply

ARTICLE = """This article may solve it right away:

**Printer shows offline**

## On the printer
1. Turn it **off** and on.
2. Clear the queue: `Settings > Printers`.

[Open the article](https://desk.example.test/kb/en/printer)

_Other articles that may help:_
- [Add a printer](https://desk.example.test/kb/en/printer-add)
"""


def test_html_has_lists_bold_code_links_and_no_raw_html() -> None:
    html = to_html(ARTICLE + "\n<script>alert(1)</script> [x](javascript:alert(2))")
    assert "<ol>" in html and "<strong>off</strong>" in html and "<code>Settings &gt; Printers</code>" in html
    assert '<a href="https://desk.example.test/kb/en/printer-add">Add a printer</a>' in html
    assert "<script>" not in html and 'href="javascript:' not in html


def test_plain_text_keeps_steps_and_links() -> None:
    plain = to_plain(ARTICLE)
    assert "**" not in plain and "`" not in plain and "](" not in plain
    assert "1. Turn it off and on." in plain and "ON THE PRINTER" in plain
    assert "Open the article: https://desk.example.test/kb/en/printer" in plain
    assert "Other articles that may help:" in plain
    assert render_plain(Reply(ARTICLE, kind="article")) == plain
    assert render_plain(Reply("**literal**")) == "**literal**"  # only articles are Markdown


def test_slack_gets_mrkdwn() -> None:
    text = to_mrkdwn(escape(ARTICLE))
    assert "*Printer shows offline*" in text
    assert "<https://desk.example.test/kb/en/printer|Open the article>" in text
    blocks = slack_render([Reply(ARTICLE, kind="article")])[0]["blocks"]
    assert "*On the printer*" in blocks[0]["text"]["text"]


def test_sms_and_whatsapp_get_one_message_with_the_steps_that_fit_then_the_link() -> None:
    from connectors.twilio.render import MAX_BODY, render_messages

    long_steps = "\n".join(f"{i}. Step number {i} of a long procedure, with details." for i in range(1, 80))
    article = ARTICLE.replace("2. Clear the queue", long_steps + "\n80. Clear the queue")
    bodies = render_messages([Reply(article, kind="article")])
    assert len(bodies) == 1 and len(bodies[0]) <= MAX_BODY
    assert "1. Step number 1" in bodies[0]
    assert bodies[0].endswith("Open the article: https://desk.example.test/kb/en/printer")
    assert render_messages([Reply(ARTICLE, kind="article")]) == [to_plain(ARTICLE)]  # short: all of it


def test_voice_reads_the_summary_only() -> None:
    from connectors.twilio.render import reply_turn

    intro = "Most printing problems come from the printer itself."
    article = ARTICLE.replace("## On the printer", f"{intro}\n\n## On the printer")
    replies = [Reply(article, kind="article"), Reply("Did this solve your problem?", kind="question")]
    turn = reply_turn(replies, "en-US", lambda p: "/gather")
    assert f"Printer shows offline {intro}" in turn.twiml
    assert "Turn it" not in turn.twiml and "https://" not in turn.twiml


def test_telegram_gets_an_article_in_its_html_parse_mode_with_everything_else_escaped() -> None:
    from connectors.telegram.render import render as telegram_render

    hostile = ARTICLE + "\n<script>alert(1)</script> & [x](https://e.test/a\"onmouseover=1)"
    params = telegram_render([Reply(hostile, kind="article")])
    assert len(params) == 1 and params[0]["parse_mode"] == "HTML"
    text = params[0]["text"]
    assert "<b>Printer shows offline</b>" in text and "<b>On the printer</b>" in text
    assert '<a href="https://desk.example.test/kb/en/printer">Open the article</a>' in text
    assert "<code>Settings &gt; Printers</code>" in text
    assert "<script>" not in text and "&lt;script&gt;" in text and "onmouseover=1\">" not in text
    plain = telegram_render([Reply("**not an article** <b>", kind="message")])
    assert "parse_mode" not in plain[0]
