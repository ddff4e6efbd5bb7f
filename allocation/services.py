"""Rounds, requests and the allocation policy: plain values in, flush, never commit.

Plans (runs, approval, issue, reversal, delivery) are in `allocation/plans.py`; the register of
recipient units in `recipients/services.py`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from accounts.models import User, actor_id
from catalog.models import Grade
from core.db import now_utc
from core.errors import ServiceError
from core.text import clean, one_line
from extensions import db
from recipients.models import TIERS, Recipient

from .models import AllocationRequest, PolicyVersion, Round, RoundStatus

# Rounds and requests ----------------------------------------------------------------------


def find_round(name: str) -> Round | None:
    return db.session.scalars(sa.select(Round).where(Round.name == one_line(name))).first()


def create_round(name: str, round_date: date, actor: User | int | None, note: str = "") -> Round:
    name = one_line(name)
    if not name:
        raise ServiceError(_l("Give the round a name."), "name")
    if find_round(name) is not None:
        raise ServiceError(_l("A round named %(name)s already exists.", name=name), "name")
    found = Round(name=name, round_date=round_date, note=clean(note), created_by_id=actor_id(actor))
    db.session.add(found)
    db.session.flush()
    return found


def rounds() -> list[Round]:
    return list(db.session.scalars(sa.select(Round).order_by(Round.round_date.desc(), Round.id)))


def active_requests(round_id: int) -> list[AllocationRequest]:
    return list(
        db.session.scalars(
            sa.select(AllocationRequest)
            .join(Recipient, AllocationRequest.recipient_id == Recipient.id)
            .where(AllocationRequest.round_id == round_id, AllocationRequest.withdrawn_at.is_(None))
            .order_by(Recipient.tier, Recipient.name, AllocationRequest.id)
        )
    )


@dataclass(frozen=True)
class RequestInput:
    """One request as a form or an import row gives it."""

    recipient_id: int
    grade_id: int
    quantity: int
    minimum: int = 0
    note: str = ""


def check_round_open(round_: Round) -> None:
    """ServiceError unless the round still takes requests."""
    if round_.status is not RoundStatus.OPEN:
        raise ServiceError(_l("This round is closed: it takes no more requests."))


class Named(Protocol):
    """A recipient or a grade as the request rules read it: a loaded model, or a row of just
    these columns (an import looks thousands up at once)."""

    name: str
    active: bool


def request_problems(
    recipient: Named | None,
    grade: Named | None,
    item: RequestInput,
    taken: set[tuple[int, int]],
) -> Iterator[tuple[str, LazyString]]:
    """The rules of requests (in an open round) that `item` breaks, as (field, message) in the
    order a form reports them: `add_request` raises the first, an import lists them all (the
    messages are lazy: thousands of rows cost no translation until shown).

    `recipient` and `grade` are those `item` names (None when there is none). `taken` holds the
    (recipient id, grade id) of requests already made; `item`'s is added when it breaks no rule.
    """
    broken = False
    if recipient is None:
        broken = True
        yield "recipient", _l("Choose a registered recipient.")
    elif not recipient.active:
        broken = True
        yield (
            "recipient",
            _l("%(name)s is deactivated and cannot make requests.", name=recipient.name),
        )
    if grade is None or not grade.active:
        broken = True
        yield "grade", _l("Choose a grade that is offered.")
    quantity_ok = not (
        isinstance(item.quantity, bool) or not isinstance(item.quantity, int) or item.quantity < 1
    )
    if not quantity_ok:
        broken = True
        yield "quantity", _l("The quantity is a whole number of pieces, at least 1.")
    if not isinstance(item.minimum, int) or item.minimum < 0:
        broken = True
        yield "minimum", _l("The minimum is a whole number, 0 or more.")
    elif quantity_ok and item.minimum > item.quantity:
        broken = True
        yield "minimum", _l("The minimum cannot be more than the quantity.")
    if recipient is None or grade is None:
        return
    key = (item.recipient_id, item.grade_id)
    if key in taken and recipient.active and grade.active:
        broken = True
        yield (
            "grade",
            _l(
                "%(name)s already has a request for %(grade)s in this round: withdraw it first.",
                name=recipient.name,
                grade=grade.name,
            ),
        )
    if not broken:
        taken.add(key)


def _check_request(round_: Round, item: RequestInput, taken: set[tuple[int, int]]) -> None:
    check_round_open(round_)
    recipient = db.session.get(Recipient, item.recipient_id)
    grade = db.session.get(Grade, item.grade_id)
    for field, message in request_problems(recipient, grade, item, taken):
        raise ServiceError(message, field)


def taken_requests(round_id: int) -> set[tuple[int, int]]:
    """(recipient id, grade id) of the round's requests that are not withdrawn."""
    return set(
        db.session.execute(
            sa.select(AllocationRequest.recipient_id, AllocationRequest.grade_id).where(
                AllocationRequest.round_id == round_id, AllocationRequest.withdrawn_at.is_(None)
            )
        ).tuples()
    )


def add_request(round_: Round, item: RequestInput, actor: User | int | None) -> AllocationRequest:
    _check_request(round_, item, taken_requests(round_.id))
    request = AllocationRequest(
        round_id=round_.id,
        recipient_id=item.recipient_id,
        grade_id=item.grade_id,
        quantity=item.quantity,
        minimum=item.minimum,
        note=clean(item.note)[:500],
        created_by_id=actor_id(actor),
    )
    db.session.add(request)
    db.session.flush()
    return request


def add_requests(
    round_: Round, items: list[RequestInput], actor: User | int | None
) -> list[AllocationRequest]:
    """Add many requests (an import): all of them or, if one breaks a rule, none."""
    taken = taken_requests(round_.id)
    for item in items:
        _check_request(round_, item, taken)
    added = [
        AllocationRequest(
            round_id=round_.id,
            recipient_id=item.recipient_id,
            grade_id=item.grade_id,
            quantity=item.quantity,
            minimum=item.minimum,
            note=clean(item.note)[:500],
            created_by_id=actor_id(actor),
        )
        for item in items
    ]
    db.session.add_all(added)
    db.session.flush()
    return added


def withdraw_request(request: AllocationRequest, actor: User | int | None) -> None:
    if request.round.status is not RoundStatus.OPEN:
        raise ServiceError(_l("This round is closed: its requests can no longer change."))
    if request.withdrawn_at is not None:
        raise ServiceError(_l("This request has already been withdrawn."))
    request.withdrawn_at = now_utc()
    request.withdrawn_by_id = actor_id(actor)
    db.session.flush()


# Policy ----------------------------------------------------------------------------------------

DEFAULT_SETTINGS: dict = {
    "reserve": {"medical_protective": "0.1", "kn95": "0.05", "surgical": "0.05"},
    "whole_boxes": True,
    "substitutes": {
        "medical_protective": ["medical_protective", "kn95"],
        "kn95": ["kn95", "medical_protective"],
        "surgical": ["surgical", "disposable_medical"],
        "disposable_medical": ["disposable_medical", "surgical", "daily_protective"],
        "daily_protective": ["daily_protective", "disposable_medical"],
    },
    "tier_grades": {"medical_protective": [1]},
}


def current_policy() -> PolicyVersion | None:
    """The policy in force (the newest version), or None if none was ever stored."""
    return db.session.scalars(sa.select(PolicyVersion).order_by(PolicyVersion.id.desc())).first()


def policy_settings() -> dict:
    found = current_policy()
    return found.settings if found is not None else DEFAULT_SETTINGS


def policy_history(limit: int = 20) -> list[PolicyVersion]:
    return list(
        db.session.scalars(sa.select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(limit))
    )


@dataclass(frozen=True)
class GradeRule:
    """The policy for one grade, as the form gives it."""

    grade: str
    reserve: Decimal  # a fraction in [0, 1)
    substitutes: list[str]  # grades in order of preference (the grade itself usually first)
    tiers: list[int]  # tiers that may receive the grade; all three = no restriction


def check_settings(rules: list[GradeRule], whole_boxes: bool) -> dict:
    """The settings dict for `rules`, or ServiceError naming the first problem."""
    codes = {g.code for g in db.session.scalars(sa.select(Grade))}
    settings: dict = {"reserve": {}, "whole_boxes": bool(whole_boxes), "substitutes": {}}
    settings["tier_grades"] = {}
    for rule in rules:
        if rule.grade not in codes:
            raise ServiceError(_l("Unknown grade %(grade)s.", grade=rule.grade))
        try:
            reserve = Decimal(rule.reserve)
        except (InvalidOperation, TypeError):
            raise ServiceError(_l("The reserve is a fraction between 0 and 1.")) from None
        if not (0 <= reserve < 1):
            raise ServiceError(
                _l(
                    "The reserve of %(grade)s must be at least 0%% and below 100%%.",
                    grade=rule.grade,
                )
            )
        if reserve:
            settings["reserve"][rule.grade] = str(reserve.normalize())
        unknown = [s for s in rule.substitutes if s not in codes]
        if unknown:
            raise ServiceError(
                _l(
                    "Substitutes of %(grade)s name unknown grades: %(codes)s.",
                    grade=rule.grade,
                    codes=", ".join(unknown),
                )
            )
        if len(set(rule.substitutes)) != len(rule.substitutes):
            raise ServiceError(_l("Substitutes of %(grade)s name a grade twice.", grade=rule.grade))
        if rule.substitutes and rule.substitutes != [rule.grade]:
            settings["substitutes"][rule.grade] = list(rule.substitutes)
        tiers = sorted(set(rule.tiers))
        if not tiers or any(t not in TIERS for t in tiers):
            raise ServiceError(
                _l("%(grade)s must be open to at least one of tiers 1, 2 and 3.", grade=rule.grade)
            )
        if tiers != list(TIERS):
            settings["tier_grades"][rule.grade] = tiers
    return settings


def save_policy(
    rules: list[GradeRule], whole_boxes: bool, actor: User | int | None, note: str = ""
) -> PolicyVersion:
    """Store a new policy version (the old ones stay, with who made them and when)."""
    settings = check_settings(rules, whole_boxes)
    if settings == policy_settings() and current_policy() is not None:
        raise ServiceError(_l("Nothing changed: the policy is as it was."))
    version = PolicyVersion(settings=settings, note=clean(note), created_by_id=actor_id(actor))
    db.session.add(version)
    db.session.flush()
    return version


def rules_for(settings: dict, grades: list[Grade]) -> list[GradeRule]:
    """The per-grade rules of stored settings, for the form."""
    return [
        GradeRule(
            grade=g.code,
            reserve=Decimal(settings.get("reserve", {}).get(g.code, "0")),
            substitutes=list(settings.get("substitutes", {}).get(g.code, [g.code])),
            tiers=list(settings.get("tier_grades", {}).get(g.code, TIERS)),
        )
        for g in grades
    ]
