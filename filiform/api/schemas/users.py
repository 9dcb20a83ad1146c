"""Clinic administration: users and the audit report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from filiform.core.concepts.values import Strict


class UserIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._@-]+$")]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Literal["clinician", "assistant", "front_desk", "admin"]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class UserCreated(BaseModel):
    id: int
    username: str
    role: str


class UserState(BaseModel):
    id: int
    active: bool


class UserRow(BaseModel):
    """A user as the administration list shows it."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    reset_pending: bool


class ResetIssued(BaseModel):
    id: int
    reset_token: str
    valid_hours: int
