"""Account operations: plain arguments in, flush, never commit (the caller commits once)."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import now_utc
from core.errors import ServiceError
from extensions import db

from .models import (
    FAILED_OUTCOMES,
    AccountAction,
    AccountEvent,
    LoginAttempt,
    LoginOutcome,
    Role,
    SignInSession,
    User,
    UserRole,
)

MIN_PASSWORD_LENGTH = 10


def _record(actor: User | None, user: User, action: AccountAction, detail: str = "") -> None:
    db.session.add(
        AccountEvent(
            actor_id=actor.id if actor else None, user_id=user.id, action=action, detail=detail
        )
    )


def _in_role_order(roles: Iterable[Role | str]) -> list[Role]:
    chosen = {Role(role) for role in roles}
    return [role for role in Role if role in chosen]


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), "password"
        )


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def create_user(
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role | str],
    actor: User | None = None,
    is_demo: bool = False,
) -> User:
    username = normalise_username(username)
    if find_user(username) is not None:
        raise ServiceError(_l("The username %(name)s is already taken.", name=username), "username")
    check_password_rules(password)
    user = User(username=username, display_name=display_name.strip(), is_demo=is_demo)
    user.set_password(password)
    user.role_links = [UserRole(role=role) for role in _in_role_order(roles)]
    db.session.add(user)
    db.session.flush()
    _record(actor, user, AccountAction.CREATED, ",".join(r.value for r in user.sorted_roles))
    return user


def update_user(
    user: User, display_name: str, roles: Iterable[Role | str], actor: User | None
) -> None:
    new_roles = set(map(Role, roles))
    if actor is not None and actor.id == user.id and Role.ADMIN not in new_roles:
        raise ServiceError(_l("You cannot remove your own administrator role."), "roles")
    display_name = display_name.strip()
    if display_name != user.display_name:
        _record(actor, user, AccountAction.UPDATED, f"{user.display_name} → {display_name}")
        user.display_name = display_name
    if new_roles != user.roles:
        before = ",".join(r.value for r in user.sorted_roles)
        user.role_links = [UserRole(role=role) for role in _in_role_order(new_roles)]
        after = ",".join(r.value for r in _in_role_order(new_roles))
        _record(actor, user, AccountAction.ROLES_CHANGED, f"{before} → {after}")
    db.session.flush()


def reset_password(user: User, password: str, actor: User | None) -> None:
    """An administrator sets a new password; the user's open sessions end."""
    check_password_rules(password)
    user.set_password(password)
    user.session_version += 1
    _record(actor, user, AccountAction.PASSWORD_RESET)
    db.session.flush()


def change_own_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ServiceError(_l("The current password is not correct."), "current_password")
    check_password_rules(new)
    user.set_password(new)
    user.session_version += 1
    _record(user, user, AccountAction.PASSWORD_CHANGED)
    db.session.flush()


def set_active(user: User, active: bool, actor: User | None) -> None:
    """Deactivate or reactivate; users are never deleted, so their records stay attributable."""
    if active == user.active:
        return
    if not active and actor is not None and actor.id == user.id:
        raise ServiceError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.session_version += 1
    _record(actor, user, AccountAction.REACTIVATED if active else AccountAction.DEACTIVATED)
    db.session.flush()


# Sign-in ------------------------------------------------------------------------------------


def _failures_since(column, value: str, since: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            column == value,
            LoginAttempt.at >= since,
            LoginAttempt.outcome.in_(FAILED_OUTCOMES),
        )
    )


def throttle_wait(
    username: str, address: str, window: timedelta, per_account: int, per_address: int
) -> timedelta | None:
    """How long this account or address must wait before trying again, or None."""
    now = now_utc()
    since = now - window
    username = normalise_username(username)
    too_many = (
        _failures_since(LoginAttempt.username, username, since) >= per_account
        or _failures_since(LoginAttempt.address, address, since) >= per_address
    )
    if not too_many:
        return None
    latest = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            sa.or_(LoginAttempt.username == username, LoginAttempt.address == address),
            LoginAttempt.at >= since,
            LoginAttempt.outcome.in_(FAILED_OUTCOMES),
        )
    )
    if latest is None:
        return window
    return max(timedelta(minutes=1), latest + window - now)


def authenticate(username: str, password: str, address: str) -> tuple[User | None, LoginOutcome]:
    """Check a sign-in and record the attempt. Throttling is checked by the caller first."""
    username = normalise_username(username)
    user = find_user(username)
    if user is None:
        outcome = LoginOutcome.UNKNOWN_USER
    elif not user.check_password(password):
        outcome = LoginOutcome.BAD_PASSWORD
    elif not user.active:
        outcome = LoginOutcome.INACTIVE
    else:
        outcome = LoginOutcome.SUCCESS
        user.last_login_at = now_utc()
    record_attempt(username, address, outcome, user)
    return (user if outcome is LoginOutcome.SUCCESS else None), outcome


def record_attempt(
    username: str, address: str, outcome: LoginOutcome, user: User | None = None
) -> None:
    db.session.add(
        LoginAttempt(
            username=normalise_username(username)[:64],
            address=address[:64],
            outcome=outcome,
            user_id=user.id if user else None,
        )
    )
    db.session.flush()


# Signed-in sessions ----------------------------------------------------------------------------


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Record a new sign-in of `user` and give it its token (for the session cookie only)."""
    token = secrets.token_urlsafe(32)
    db.session.add(SignInSession(user_id=user.id, token_sha256=_token_sha256(token)))
    db.session.flush()
    user.session_token = token
    return token


def session_is_open(user_id: int, token: str) -> bool:
    """Whether this token is a sign-in of this user that has not been signed out."""
    if not token:
        return False
    found = db.session.scalar(
        sa.select(SignInSession).where(SignInSession.token_sha256 == _token_sha256(token))
    )
    return found is not None and found.user_id == user_id and found.ended_at is None


def end_session(token: str | None) -> None:
    """Sign-out: the session's token stops working everywhere it was copied to."""
    if not token:
        return
    db.session.execute(
        sa.update(SignInSession)
        .where(SignInSession.token_sha256 == _token_sha256(token), SignInSession.ended_at.is_(None))
        .values(ended_at=now_utc())
    )
    db.session.flush()
