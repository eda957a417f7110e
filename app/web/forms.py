"""The console's forms; Flask-WTF gives each one a CSRF token field."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import Field, Form, PasswordField, StringField
from wtforms.validators import StopValidation

from app.web.labels import label

# Longer input is no one's username or password; refusing it early keeps hashing cheap.
MAX_USERNAME = 150
MAX_PASSWORD = 1024


class Required:
    """Like DataRequired, with its message chosen per request (the shared validator must not be mutated)."""

    field_flags: ClassVar[dict[str, bool]] = {"required": True}

    def __call__(self, form: Form, field: Field) -> None:
        if not isinstance(field.data, str) or not field.data.strip():
            field.errors[:] = []
            raise StopValidation(label("login.required_field"))


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(validators=[Required()], filters=[lambda value: value.strip() if value else value])
    password = PasswordField(validators=[Required()])

    def credentials(self) -> tuple[str, str] | None:
        """The username and password, or None when they are too long to be anyone's."""
        username: Any = self.username.data
        password: Any = self.password.data
        if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            return None
        return str(username), str(password)
