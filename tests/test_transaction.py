"""`core.transaction.run_service`: the one way a view runs a service and commits or rolls back."""

import sqlalchemy as sa
from flask import session
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField

from catalog import services as catalog
from catalog.models import Grade
from core.errors import ServiceError
from core.transaction import run_service
from extensions import db


class _Form(FlaskForm):
    code = StringField()
    pieces = IntegerField()


def _grade_codes() -> set[str]:
    db.session.remove()  # what another request would see
    return set(db.session.scalars(sa.select(Grade.code)))


def _flashed() -> list[tuple[str, str]]:
    return list(session.get("_flashes", []))


def _create_then_fail(code: str, message: str, field: str | None):
    """A service that writes, flushes, then finds a rule broken."""

    def action():
        catalog.create_grade(code, "GB 0000", "测试品类", "Test grade")
        raise ServiceError(message, field)

    return action


def test_success_is_committed_and_returns_the_value(app):
    with app.test_request_context(method="POST"):
        done = run_service(lambda: catalog.create_grade("tx_ok", "GB 0000", "测试品类", "Test"))
        assert done
        assert done.error is None
        assert done.value.code == "tx_ok"
        assert "tx_ok" in _grade_codes()


def test_a_broken_rule_rolls_back_what_was_written_and_names_the_field(app):
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        done = run_service(_create_then_fail("tx_half", "该代码已停用", "code"), form)
        assert not done
        assert done.value is None
        assert str(done.error) == "该代码已停用"
        assert form.code.errors == ["该代码已停用"]
        assert form.form_errors == []
        assert "tx_half" not in _grade_codes()
        assert _flashed() == []


def test_an_error_for_no_field_of_the_form_goes_above_the_fields(app):
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        run_service(_create_then_fail("tx_top", "库存已变化", None), form)
        run_service(_create_then_fail("tx_other", "别的字段", "not_on_this_form"), form)
        assert form.form_errors == ["库存已变化", "别的字段"]
        assert not form.code.errors and not form.pieces.errors


def test_service_field_names_are_mapped_onto_the_form(app):
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        run_service(
            _create_then_fail("tx_map", "数量必须是整数", "quantity"),
            form,
            fields={"quantity": "pieces"},
        )
        assert form.pieces.errors == ["数量必须是整数"]


def test_without_a_form_the_error_is_flashed(app):
    with app.test_request_context(method="POST"):
        done = run_service(_create_then_fail("tx_flash", "不能停用自己的账号", None))
        assert not done
        assert _flashed() == [("error", "不能停用自己的账号")]
        assert "tx_flash" not in _grade_codes()


def test_errors_the_view_shows_itself_are_rolled_back_but_not_flashed(app):
    class Stale(ServiceError):
        pass

    with app.test_request_context(method="POST"):
        done = run_service(
            _create_then_fail("tx_stale", "库存已变化，请重新运行", None), caller_shows=(Stale,)
        )
        assert not done  # a plain ServiceError is still shown
        assert _flashed() == [("error", "库存已变化，请重新运行")]
        session.pop("_flashes")

        def stale():
            catalog.create_grade("tx_stale2", "GB 0000", "测试品类", "Test grade")
            raise Stale("库存已变化")

        done = run_service(stale, caller_shows=(Stale,))
        assert isinstance(done.error, Stale)
        assert _flashed() == []
        assert {"tx_stale", "tx_stale2"}.isdisjoint(_grade_codes())
