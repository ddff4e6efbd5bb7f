"""The home page (what waits for each of a person's roles) and the language switch."""

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from accounts.guards import public, signed_in
from accounts.models import FAILED_OUTCOMES, LoginAttempt, Role, User
from core.db import now_utc
from core.forms import LanguageForm
from core.nav import NavItem
from core.urls import safe_next
from core.waiting import Waiting, providers_for
from extensions import db

bp = Blueprint("home", __name__)

NAV = [NavItem("home.home", _l("Home"))]


@bp.route("/")
@signed_in
def home():
    sections = []
    for role in current_user.sorted_roles:
        items: list[Waiting] = []
        for provider in providers_for(role):
            items.extend(provider())
        sections.append((role, items))
    return render_template("home/home.html", sections=sections)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("home.home")
    if form.validate_on_submit():
        lang = request.form.get("lang")
        if lang in current_app.config["LANGUAGES"]:
            session["lang"] = lang
    return redirect(target)


# What waits for an administrator --------------------------------------------------------


def admin_waiting() -> list[Waiting]:
    since = now_utc() - timedelta(hours=24)
    failed = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.at >= since, LoginAttempt.outcome.in_(FAILED_OUTCOMES)
        )
    )
    only_demo = (
        db.session.scalar(sa.select(sa.func.count(User.id)).where(User.is_demo.is_(False))) == 0
    )
    items = [
        Waiting(
            _l("Failed sign-ins in the last 24 hours"),
            failed,
            url_for("accounts.sign_ins", failed=1),
            urgent=failed >= current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        ),
        Waiting(
            _l("Active users"),
            db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active.is_(True))),
            url_for("accounts.users"),
        ),
    ]
    if only_demo:
        items.append(
            Waiting(
                _l("Only demo accounts exist: create real users before going live"),
                1,
                url_for("accounts.new_user"),
                urgent=True,
            )
        )
    return items


WAITING = {Role.ADMIN: [admin_waiting]}
