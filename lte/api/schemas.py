"""Shared API schema pieces: strict inputs and the one error shape."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict, field_validator


class Strict(Schema):
    """Input schemas refuse unknown fields and NUL characters (PostgreSQL can't store them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value):
            raise ValueError("must not contain NUL characters")
        return value


class Detail(Schema):
    detail: str | list | dict
