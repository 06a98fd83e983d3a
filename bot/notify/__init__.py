"""Notifications (issue 14): an outbox written in the lead's own transaction (outbox.py), a sender that
delivers it under a database lease with retries (sender.py) through small adapters — 企业微信 group
robot, an SMS gateway, WeChat template messages (adapters.py) — and escalation by due time to the county
supervisor (escalation.py).

Nothing is imported here: bot.leads.service imports the outbox, and the sender imports bot.leads back.
"""
