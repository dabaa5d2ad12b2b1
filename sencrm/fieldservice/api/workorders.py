"""(being written)"""

from typing import Any


def register(router: Any) -> None:
    """Add this part's viewsets to the router."""
