"""The one exception type for bad input: its message is shown to the user as it is."""


class CxInputError(ValueError):
    """Bad input or bad usage; the message says what is wrong and what to do."""
