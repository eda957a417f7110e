"""The case page (everything about one case, and its actions) and the search page that leads to it."""

from app.web.casepage import search, views  # noqa: F401  (registers the search page's routes and menu entry)
from app.web.casepage.views import bp

__all__ = ["bp"]
