"""Raw message bytes to a flat, pre-ordered tuple of Parts.

The public entry point is :func:`parse_message`.
"""

from mailwarden.message.decode import Buffer
from mailwarden.message.mime import ParsedMessage, parse_message

__all__ = ["Buffer", "ParsedMessage", "parse_message"]
