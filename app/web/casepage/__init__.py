"""The case page (everything about one case, and its actions) and the search page that leads to it."""

from app.web.casepage import photos, search, views  # noqa: F401  (registers the photo and search routes, the menu)
from app.web.casepage.views import bp

__all__ = ["bp"]
