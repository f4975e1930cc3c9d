"""Implementations of the ports (dialog/ports.py and connectors' stores) on our domain packages and
libraries: tickets (ticket_core), the classifier and knowledge base (ml), language detection, the keyword
stand-ins, and the SQL stores of the conversation side (conversation state, inbox, outbox, web chat)."""
