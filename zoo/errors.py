"""The error raised for a zoo name or argument that cannot work."""

from common.errors import UserError


class ZooError(UserError):
    """An unknown model name or a bad model argument; the message says what is allowed."""
