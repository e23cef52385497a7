"""The quarantine: a private store of held messages and their metadata."""

from mailwarden.quarantine.store import QuarantineStore

__all__ = ["QuarantineStore"]
