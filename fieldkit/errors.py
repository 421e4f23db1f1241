"""The one exception type users see: its message is Chinese and says what to do next."""


class FieldkitError(Exception):
    """An expected failure (bad input, bad file, locked store); shown as a one-line message."""
