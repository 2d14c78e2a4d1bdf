"""Typed access to what the lifespan put in request state."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..config import Settings
from ..services import Database
from ..services.context import Federation


def db(request: Request) -> Database:
    value: Any = request.state.db
    assert isinstance(value, Database)
    return value


def settings(request: Request) -> Settings:
    value: Any = request.state.settings
    assert isinstance(value, Settings)
    return value


def fed(request: Request) -> Federation:
    value: Any = request.state.fed
    assert isinstance(value, Federation)
    return value
