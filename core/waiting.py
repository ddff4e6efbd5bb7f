"""What is waiting for a person, shown on their home page.

Each domain registers a provider for a role: a function that returns `Waiting` items (a label,
a count and the page where the work is). The home page asks the providers of the roles the
signed-in user holds.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Waiting:
    label: object  # lazy translated string
    count: int
    url: str
    urgent: bool = False


Provider = Callable[[], list[Waiting]]


def providers_for(role) -> list[Provider]:
    return current_app.extensions["baogong_waiting"].get(role, [])
