"""The Baogong application factory."""

import contextlib
import logging
import os
import secrets
import tempfile
from pathlib import Path

from flask import (
    Flask,
    abort,
    current_app,
    has_request_context,
    render_template,
    request,
    session,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config as default_config
from core.request_args import MAX_ID
from extensions import babel, csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app. `test_config` replaces instance/config.py and the environment."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.from_object(default_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
        app.instance_path, "baogong.db"
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        _config_from_environment(app)
    else:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app, "secret_key")
    if not app.config.get("ID_HASH_KEY"):  # keys the hashes of identity card numbers
        app.config["ID_HASH_KEY"] = _instance_secret(app, "id_hash_key")
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["HTTPS"])
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config["HTTPS"])
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, **app.config["PROXY_FIX"])

    _init_extensions(app)
    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    _register_errors(app)
    _register_template_helpers(app)
    _register_cli(app)
    return app


class IdConverter(IntegerConverter):
    """`<int:…>` in a route: at most MAX_ID, so that /lots/99999999999 is a 404, not a query
    PostgreSQL refuses."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _config_from_environment(app: Flask) -> None:
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("BAOGONG_HTTPS"):
        app.config["HTTPS"] = os.environ["BAOGONG_HTTPS"].lower() in {"1", "true", "yes"}
    if os.environ.get("BAOGONG_TIMEZONE"):
        app.config["BABEL_DEFAULT_TIMEZONE"] = os.environ["BAOGONG_TIMEZONE"]
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
        app.config["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]


def _instance_secret(app: Flask, name: str) -> str:
    """Read a secret (the session key, the key of identity number hashes) from instance/`name`,
    creating it on first start.

    Several gunicorn workers may start at once: the key is written to a private temporary file
    and linked into place atomically, so every worker ends up with the same key.
    """
    path = Path(app.instance_path) / name
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=app.instance_path, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):  # another worker was first: use its key
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line: the default language
        return languages[0]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    limiter.init_app(app)
    Talisman(
        app,
        force_https=bool(app.config["HTTPS"]),
        strict_transport_security=bool(app.config["HTTPS"]),
        session_cookie_secure=bool(app.config["HTTPS"]),
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
    )

    from accounts import services as account_services
    from accounts.models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        ident, version, token = ([*user_id.split(":", 2), "", ""])[:3]
        if not (ident.isascii() and ident.isdigit() and version.isascii() and version.isdigit()):
            return None
        if int(ident) > MAX_ID:
            return None
        user = db.session.get(User, int(ident))
        if user is None or not user.active or user.session_version != int(version):
            return None
        if not account_services.session_is_open(user.id, token):  # signed out since
            return None
        user.session_token = token
        return user

    # Every endpoint must declare who may use it; an undeclared one answers to nobody.
    from accounts.guards import is_guarded

    @app.before_request
    def refuse_nul_characters():
        """No person types a NUL character and PostgreSQL cannot store one: refuse a request
        that carries one, in a form or the address, rather than fail while saving it."""
        for values in (request.args, request.form):
            for key, items in values.lists():
                if "\x00" in key or any("\x00" in item for item in items):
                    return _render_error(400, *ERROR_TEXTS["nul"])
        return None

    @app.before_request
    def refuse_unguarded_views():
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if view is not None and not is_guarded(view):
            log.error("view %s has no role guard; refusing it", request.endpoint)
            abort(403)
        return None


def _register_blueprints(app: Flask) -> None:

    from accounts.views import NAV as accounts_nav
    from accounts.views import bp as accounts_bp
    from allocation.views import NAV as allocation_nav
    from allocation.views import WAITING as allocation_waiting
    from allocation.views import bp as allocation_bp
    from audit.views import NAV as audit_nav
    from audit.views import bp as audit_bp
    from home.job_views import bp as jobs_bp
    from home.views import NAV as home_nav
    from home.views import WAITING as home_waiting
    from home.views import bp as home_bp
    from ledger.views import NAV as ledger_nav
    from ledger.views import WAITING as ledger_waiting
    from ledger.views import bp as ledger_bp
    from procurement.views import NAV as procurement_nav
    from procurement.views import WAITING as procurement_waiting
    from procurement.views import bp as procurement_bp
    from rationing.views import NAV as rationing_nav
    from rationing.views import WAITING as rationing_waiting
    from rationing.views import bp as rationing_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(procurement_bp)
    app.register_blueprint(allocation_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(rationing_bp)
    app.register_blueprint(jobs_bp)

    app.extensions["baogong_nav"] = [
        *home_nav,
        *procurement_nav,
        *ledger_nav,
        *allocation_nav,
        *rationing_nav,
        *audit_nav,
        *accounts_nav,
    ]
    waiting: dict = {}
    for registry in (
        home_waiting,
        procurement_waiting,
        ledger_waiting,
        allocation_waiting,
        rationing_waiting,
    ):
        for role, providers in registry.items():
            waiting.setdefault(role, []).extend(providers)
    app.extensions["baogong_waiting"] = waiting


def _render_error(code: int, title, message):
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code
    except Exception:  # the error page itself failed (e.g. the database is down)
        log.exception("error page failed")
        body = (
            f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{code}</title>"
            f"<h1>{code}</h1><p>系统出错，请稍后再试。</p><p>Something went wrong; "
            "please try again later.</p></html>"
        )
        return body, code


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("Your roles do not give access to this page or action.")),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed"), _l("This page does not accept that kind of request.")),
    413: (_l("Upload too large"), _l("The file is larger than the allowed size.")),
    429: (_l("Too many requests"), _l("Wait a little and try again.")),
    "nul": (
        _l("Invisible characters"),
        _l(
            "The text sent contained a NUL character, which Baogong cannot store. Nothing was "
            "saved: type the text again, or paste it as plain text."
        ),
    ),
    500: (
        _l("Something went wrong"),
        _l("The error has been logged. Nothing was saved; please try again."),
    ),
}


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render_error(
            400,
            _l("Form expired"),
            _l("The form was open too long or came from elsewhere. Reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        title, message = ERROR_TEXTS.get(error.code, (error.name, ""))
        return _render_error(error.code, title, message)

    @app.errorhandler(Exception)
    def internal_error(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        title, message = ERROR_TEXTS[500]
        return _render_error(500, title, message)


def _register_template_helpers(app: Flask) -> None:
    from core.forms import LanguageForm
    from core.i18n import format_date, format_datetime, format_number
    from home.nav import visible_items

    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["number"] = format_number

    @app.context_processor
    def layout_context():
        from flask_babel import get_locale

        locale = get_locale()
        return {
            "nav_items": visible_items,
            "language_form": LanguageForm(formdata=None, next=request.full_path.rstrip("?")),
            "current_language": locale.language if locale else "zh",
            "html_lang": "zh-CN" if (locale and locale.language == "zh") else "en",
            "current_user": current_user,
        }


def _register_cli(app: Flask) -> None:
    from accounts.cli import create_user_command
    from allocation.cli import allocate_command
    from core.jobs.cli import jobs_cli
    from demo.seed import seed_demo_command
    from ledger.cli import ledger_cli

    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(allocate_command)
    app.cli.add_command(jobs_cli)
