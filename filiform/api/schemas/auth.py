"""Login, the signed-in user, TOTP and passwords: request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from filiform.api.deps import StrictIn

Code = Annotated[str, Field(min_length=6, max_length=10)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class LoginIn(StrictIn):
    username: Annotated[str, Field(min_length=1, max_length=120)]
    password: Password
    totp: Code | None = None


class CodeIn(StrictIn):
    code: Code


class TotpChangeIn(StrictIn):
    password: Password
    code: Code | None = None


class TotpOffIn(StrictIn):
    password: Password
    code: Code


class PasswordChangeIn(StrictIn):
    current_password: Password
    new_password: Password


class ResetIn(StrictIn):
    token: Annotated[str, Field(min_length=20, max_length=200)]
    new_password: Password


class CsrfToken(BaseModel):
    csrf_token: str


class Me(BaseModel):
    """Who is signed in, and what the role may do."""

    user_id: int
    clinic_id: int
    role: str
    username: str | None
    display_name: str | None
    permissions: list[str]
    totp_enabled: bool | None = None


class LoggedOut(BaseModel):
    logged_out: bool = True


class TotpStarted(BaseModel):
    provisioning_uri: str


class TotpState(BaseModel):
    totp_enabled: bool


class PasswordChanged(BaseModel):
    changed: bool = True
    other_sessions_ended: int


class PasswordReset(BaseModel):
    changed: bool = True
