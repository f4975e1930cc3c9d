"""The message seam: Inbox (ingress) and Dispatcher (processing), with their SQL and Redis back ends."""
