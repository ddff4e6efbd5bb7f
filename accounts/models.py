"""Users and their roles, sign-in attempts, signed-in sessions, and the record of account
changes."""

import enum
import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import UTCDateTime, enum_type, now_utc
from extensions import db

# scrypt (werkzeug's default KDF); named explicitly so a library default change cannot weaken it.
PASSWORD_METHOD = "scrypt"


class Role(enum.StrEnum):
    PROCUREMENT = "procurement"
    INSPECTOR = "inspector"
    ALLOCATOR = "allocator"
    APPROVER = "approver"
    AUDITOR = "auditor"
    ADMIN = "admin"
    OUTLET = "outlet"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def description(self) -> str:
        return str(ROLE_DESCRIPTIONS[self])


ROLE_LABELS = {
    Role.PROCUREMENT: _l("Procurement"),
    Role.INSPECTOR: _l("Inspector"),
    Role.ALLOCATOR: _l("Allocator"),
    Role.APPROVER: _l("Approver"),
    Role.AUDITOR: _l("Auditor"),
    Role.ADMIN: _l("Administrator"),
    Role.OUTLET: _l("Outlet staff"),
}

ROLE_DESCRIPTIONS = {
    Role.PROCUREMENT: _l(
        "Records suppliers, purchases, donations and transfers, receives batches and attaches "
        "their certificates."
    ),
    Role.INSPECTOR: _l(
        "Checks each batch's certificates, releases or rejects it, and puts lots on hold."
    ),
    Role.ALLOCATOR: _l(
        "Keeps the register of recipient units and their requests, runs allocation plans and "
        "issues approved plans."
    ),
    Role.APPROVER: _l("Approves or returns allocation plans drafted by someone else."),
    Role.AUDITOR: _l("Reads everything, prints allocation documents and verifies the ledger."),
    Role.ADMIN: _l("Manages users and roles, grades, substitution rules and the reserve policy."),
    Role.OUTLET: _l(
        "Works at a pharmacy outlet: checks citizens' pickup codes and confirms their purchases."
    ),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # Users made by `flask seed-demo`; the seed refuses to touch a database with other users.
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Bumped on password reset and deactivation so that existing sessions stop working.
    session_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    role_links: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    # Flask-Login -------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    # The signed-in session this request belongs to (set when signing in or loading the user).
    session_token = None  # str, or None before signing in

    def get_id(self) -> str:
        """What the session cookie carries: the user, the session version (bumped when a
        password changes or the account is deactivated) and this sign-in's own token, which
        signing out ends on the server."""
        return f"{self.id}:{self.session_version}:{self.session_token or ''}"

    # Passwords ---------------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Roles -------------------------------------------------------------------------------
    @property
    def roles(self) -> set[Role]:
        return {link.role for link in self.role_links}

    def has_role(self, *roles: Role | str) -> bool:
        held = self.roles
        return any(Role(role) in held for role in roles)

    @property
    def sorted_roles(self) -> list[Role]:
        return [role for role in Role if role in self.roles]


def actor_id(actor: "User | int | None") -> int | None:
    """The id of who acts: a services' `actor` argument is a user, a user's id, or None (the
    command line, the demo)."""
    return actor.id if isinstance(actor, User) else actor


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_links")


class LoginOutcome(enum.StrEnum):
    SUCCESS = "success"
    BAD_PASSWORD = "bad_password"
    UNKNOWN_USER = "unknown_user"
    INACTIVE = "inactive"
    THROTTLED = "throttled"

    @property
    def label(self) -> str:
        return str(
            {
                LoginOutcome.SUCCESS: _l("Signed in"),
                LoginOutcome.BAD_PASSWORD: _l("Wrong password"),
                LoginOutcome.UNKNOWN_USER: _l("Unknown username"),
                LoginOutcome.INACTIVE: _l("Account deactivated"),
                LoginOutcome.THROTTLED: _l("Refused: too many failures"),
            }[self]
        )


FAILED_OUTCOMES = (LoginOutcome.BAD_PASSWORD, LoginOutcome.UNKNOWN_USER, LoginOutcome.INACTIVE)


class LoginAttempt(db.Model):
    """Every sign-in attempt, kept for throttling and for the administrator's sign-in log."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_username_at", "username", "at"),
        sa.Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    address: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    outcome: Mapped[LoginOutcome] = mapped_column(
        enum_type(LoginOutcome, "outcome"), nullable=False
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)


class AccountAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    ROLES_CHANGED = "roles_changed"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"

    @property
    def label(self) -> str:
        return str(
            {
                AccountAction.CREATED: _l("Created"),
                AccountAction.UPDATED: _l("Name changed"),
                AccountAction.ROLES_CHANGED: _l("Roles changed"),
                AccountAction.PASSWORD_RESET: _l("Password reset by an administrator"),
                AccountAction.PASSWORD_CHANGED: _l("Password changed by the user"),
                AccountAction.DEACTIVATED: _l("Deactivated"),
                AccountAction.REACTIVATED: _l("Reactivated"),
            }[self]
        )


class AccountEvent(db.Model):
    """Who changed which account, when and how. Written by `accounts.services` only."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    action: Mapped[AccountAction] = mapped_column(
        enum_type(AccountAction, "action"), nullable=False
    )
    detail: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def detail_display(self) -> str:
        """The detail as a person reads it: role codes shown as role names."""
        if self.action not in (AccountAction.CREATED, AccountAction.ROLES_CHANGED):
            return self.detail
        return re.sub(
            r"[a-z_]+",
            lambda match: (
                Role(match.group()).label
                if match.group() in Role._value2member_map_
                else match.group()
            ),
            self.detail,
        ).replace(",", "、")


class SignInSession(db.Model):
    """One sign-in: the cookie carries its random token, the database only the token's SHA-256.
    Signing out ends it here, so a copy of the cookie taken before stops working too."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
