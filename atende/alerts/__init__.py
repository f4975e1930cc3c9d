"""Alert intake (issue 12): monitoring systems open tickets.

``routes`` receives Alertmanager, Grafana and a generic JSON schema (authenticated before parsing), records
each alert in the Inbox as a message of channel ``alert``, and the Dispatcher hands it to ``processor``
instead of the dialog engine: one ticket per fingerprint, repeats counted, resolutions, flapping, stale
alerts and major incidents (ticket_core/alerts.py does the writing). ``rules`` reads rules.yaml.
"""
