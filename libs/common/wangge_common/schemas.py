"""Request and response shapes every service's API shares."""
from .paging import PageArgs, page_of

__all__ = ["PageArgs", "page_of"]
