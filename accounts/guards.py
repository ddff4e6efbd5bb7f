"""The role guard. Every view declares who may use it; `app.py` refuses views that do not.

    @bp.route("/users")
    @roles_required(Role.ADMIN)
    def users(): ...

`signed_in` admits any signed-in user (their own password, the home page); `city_staff` any of
the city's own staff, every role but the pharmacies' outlet staff (the stock, the ledger, the
plans and reports: an outlet clerk sees only the pickups of their own outlets); `public` marks the
few views that need no sign-in (the login page, the language switch). The declared roles are kept
on the view function as `required_roles` (None for public views) so that the test suite can check
every route against every role.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from extensions import login_manager

from .models import Role

GUARD_ATTRIBUTE = "required_roles"


def roles_required(*roles: Role) -> Callable:
    """Only signed-in users holding at least one of `roles` get through; others get 403."""
    allowed = frozenset(Role(role) for role in roles)
    if not allowed:
        raise ValueError("roles_required() needs at least one role")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, GUARD_ATTRIBUTE, allowed)
        return guarded

    return decorator


def signed_in(view: Callable) -> Callable:
    """Any signed-in user, whatever their roles."""
    return roles_required(*Role)(view)


# The city's own staff: everyone but the pharmacies' outlet staff.
CITY_ROLES = frozenset(Role) - {Role.OUTLET}


def city_staff(view: Callable) -> Callable:
    """Any of the city's own staff (every role but outlet staff)."""
    return roles_required(*CITY_ROLES)(view)


def public(view: Callable) -> Callable:
    """No sign-in needed. Use sparingly: the login page and the language switch."""
    setattr(view, GUARD_ATTRIBUTE, None)
    return view


def is_guarded(view: Callable) -> bool:
    return hasattr(view, GUARD_ATTRIBUTE)


def required_roles(view: Callable) -> frozenset[Role] | None:
    return getattr(view, GUARD_ATTRIBUTE)
