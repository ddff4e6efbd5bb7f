"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .models import Role
from .services import MIN_PASSWORD_LENGTH, find_user


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in Role]


USERNAME_RULE = Regexp(
    r"^[a-z0-9][a-z0-9._-]*$",
    message=_l("Use lower-case letters, digits, dots, dashes or underscores."),
)


def _password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class UserForm(FlaskForm):
    """Edit a user's name and roles."""

    display_name = StringField(_l("Display name"), validators=[InputRequired(), Length(max=100)])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)
    submit = SubmitField(_l("Save"))

    def validate_roles(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one role."))


class NewUserForm(UserForm):
    username = StringField(
        _l("Username"),
        validators=[InputRequired(), Length(min=2, max=64), USERNAME_RULE],
        filters=[lambda value: value.strip().lower() if value else value],
    )
    password = _password_field(_l("Initial password"))
    confirm = _confirm_field()
    submit = SubmitField(_l("Create user"))

    def validate_username(self, field) -> None:
        if find_user(field.data) is not None:
            raise ValidationError(_l("This username is already taken."))


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    confirm = _confirm_field()
    submit = SubmitField(_l("Reset password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    password = _password_field(_l("New password"))
    confirm = _confirm_field()
    submit = SubmitField(_l("Change password"))


class ActiveForm(FlaskForm):
    """The deactivate / reactivate button (a form, so that it carries a CSRF token)."""

    active = BooleanField()
    submit = SubmitField()


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))
