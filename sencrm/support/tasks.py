"""The worker's jobs of customer care (Huey loads each app's tasks.py): the SLA clock every minute,
the care call rules each morning, and the emails to customers (replies, status updates, ratings)."""

from sencrm.support import carecall_rules, sla_jobs, survey_mail, ticket_mail  # noqa: F401
