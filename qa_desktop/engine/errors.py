"""Errors a user can cause. Their messages name the problem and the fix, and are shown as they
are (one line in the CLI, a message in the window); anything else is a bug."""


class QaDesktopError(Exception):
    """Base class: the message is meant for the user."""


class InputError(QaDesktopError):
    """The passage, question or file cannot be answered as given."""


class ModelError(QaDesktopError):
    """A model directory cannot be used (missing, damaged or of the wrong kind)."""


class NoModelInstalled(ModelError):
    """No bundled and no imported model: each front end says how to get one in its own words."""


class Cancelled(QaDesktopError):
    """The user cancelled a long operation."""

    def __init__(self, message: str = "Cancelled."):
        super().__init__(message)
