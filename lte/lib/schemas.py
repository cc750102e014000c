"""Shared API schema pieces for every app's router: strict inputs and the one error shape."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, field_validator


class Strict(Schema):
    """Input schemas refuse unknown fields and NUL characters (PostgreSQL can't store them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def no_nul(cls, value):
        check_text(value)
        return value


def check_text(value, depth: int = 0) -> None:
    """No NUL character (PostgreSQL can't store it) and no lone surrogate (not text at all), anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
    elif isinstance(value, list | tuple) and depth < 5:
        for item in value:
            check_text(item, depth + 1)
    elif isinstance(value, dict) and depth < 5:
        for key, item in value.items():
            check_text(key, depth + 1)
            check_text(item, depth + 1)


def given_fields(payload: Schema) -> dict:
    """The fields a PATCH sent; null for any of them is a 400 (leave a field out to keep it)."""
    given = payload.model_dump(exclude_unset=True)
    if any(value is None for value in given.values()):
        raise HttpError(400, _("Fields cannot be null: leave out the ones you don't change."))
    return given


class Detail(Schema):
    detail: str | list | dict
