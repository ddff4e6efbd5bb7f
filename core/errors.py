"""Errors that services raise for the view to show to the person."""


class ServiceError(Exception):
    """A request that breaks a business rule; the message is already translated (lazy string).

    `field` names the form field it belongs to, when there is one.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
