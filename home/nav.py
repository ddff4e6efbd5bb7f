"""The navigation bar: who sees an entry follows from the guard on the view it points to, so
the menu never shows a page that would answer 403."""

from flask import current_app
from flask_login import current_user

from accounts.guards import is_guarded, required_roles
from core.nav import NavItem


def visible_items(section: str = "main") -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    for item in current_app.extensions["baogong_nav"]:
        if item.section != section:
            continue
        view = current_app.view_functions[item.endpoint]
        if not is_guarded(view):
            continue
        roles = required_roles(view)
        if roles is None or current_user.has_role(*roles):
            items.append(item)
    return items
