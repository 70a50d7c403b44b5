"""The error raised for a zoo name or argument that cannot work."""


class ZooError(ValueError):
    """An unknown model name or a bad model argument; the message says what is allowed."""
