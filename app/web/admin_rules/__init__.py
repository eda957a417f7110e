"""Administration of the rules (規則與行事曆): categories and routing, SLA policies, the calendar.

One menu entry (Alt+Shift+G) leads to the index of these sections; every change is made by one
service function that records it in the administrators' change log in its own transaction.
"""

from app.web.admin_rules import calendar, categories, ladders, policies  # noqa: F401  (registers the sections' routes)
from app.web.admin_rules.base import bp

__all__ = ["bp"]
