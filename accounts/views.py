"""Sign-in, sign-out, one's own password, and the administrator's user pages."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from core.nav import NavItem
from core.transaction import run_service
from core.urls import safe_next
from extensions import db

from . import services
from .forms import (
    ActiveForm,
    ChangePasswordForm,
    LoginForm,
    NewUserForm,
    ResetPasswordForm,
    UserForm,
)
from .guards import public, roles_required, signed_in
from .models import AccountEvent, LoginAttempt, LoginOutcome, Role, User, UserRole

bp = Blueprint("accounts", __name__)

NAV = [
    NavItem("accounts.users", _l("Users"), "admin"),
    NavItem("accounts.sign_ins", _l("Sign-in log"), "admin"),
]


def _client_address() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        cfg = current_app.config
        wait = services.throttle_wait(
            form.username.data,
            _client_address(),
            cfg["LOGIN_FAILURE_WINDOW"],
            cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        )
        if wait is not None:
            services.record_attempt(form.username.data, _client_address(), LoginOutcome.THROTTLED)
            db.session.commit()
            minutes = max(1, round(wait.total_seconds() / 60))
            flash(
                _(
                    "Too many failed sign-ins. Try again in %(minutes)d minutes, "
                    "or ask an administrator to reset your password.",
                    minutes=minutes,
                ),
                "error",
            )
            status = 429
        else:
            user, outcome = services.authenticate(
                form.username.data, form.password.data, _client_address()
            )
            if user is not None:
                services.start_session(user)
            db.session.commit()
            if user is not None:
                login_user(user)
                return redirect(safe_next(request.args.get("next")) or url_for("home.home"))
            if outcome is LoginOutcome.INACTIVE:
                flash(_("This account has been deactivated. Ask an administrator."), "error")
            else:
                flash(_("Wrong username or password."), "error")
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    services.end_session(current_user.session_token)
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit() and run_service(
        lambda: services.change_own_password(
            current_user, form.current_password.data, form.password.data
        ),
        form,
    ):
        login_user(current_user)  # the session id changed with the password
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("home.home"))
    return render_template("accounts/change_password.html", form=form)


# Administration ---------------------------------------------------------------------------


def _get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/admin/users")
@roles_required(Role.ADMIN)
def users():
    show = request.args.get("show", "active")
    query = sa.select(User).order_by(User.username)
    if show == "active":
        query = query.where(User.active.is_(True))
    elif show == "inactive":
        query = query.where(User.active.is_(False))
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        query = query.where(User.role_links.any(UserRole.role == Role(role)))
    return render_template(
        "accounts/users.html",
        users=db.session.scalars(query).all(),
        show=show,
        role=role,
        roles=list(Role),
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.create_user(
                form.username.data,
                form.display_name.data,
                form.password.data,
                form.roles.data,
                actor=current_user,
            ),
            form,
        )
        if done:
            user = done.value
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template("accounts/new_user.html", form=form)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    user = _get_user(user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.roles.data = [role.value for role in user.sorted_roles]
    if form.validate_on_submit() and run_service(
        lambda: services.update_user(user, form.display_name.data, form.roles.data, current_user),
        form,
    ):
        flash(_("Changes to %(name)s saved.", name=user.username), "success")
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    events = db.session.scalars(
        sa.select(AccountEvent)
        .where(AccountEvent.user_id == user.id)
        .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "accounts/edit_user.html",
        user=user,
        form=form,
        reset_form=ResetPasswordForm(formdata=None),
        active_form=ActiveForm(formdata=None),
        events=events,
    )


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    user = _get_user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit() and run_service(
        lambda: services.reset_password(user, form.password.data, current_user), form
    ):
        flash(
            _(
                "Password of %(name)s reset. Tell them the new password in person.",
                name=user.username,
            ),
            "success",
        )
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    for field in (form.password, form.confirm):
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "error")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    user = _get_user(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    if run_service(lambda: services.set_active(user, form.active.data, current_user)):
        if user.active:
            flash(_("%(name)s can sign in again.", name=user.username), "success")
        else:
            flash(_("%(name)s has been deactivated.", name=user.username), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/sign-ins")
@roles_required(Role.ADMIN)
def sign_ins():
    failed_only = request.args.get("failed") == "1"
    query = sa.select(LoginAttempt).order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
    if failed_only:
        query = query.where(LoginAttempt.outcome != LoginOutcome.SUCCESS)
    attempts = db.session.scalars(query.limit(200)).all()
    return render_template("accounts/sign_ins.html", attempts=attempts, failed_only=failed_only)
