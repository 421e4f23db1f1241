"""Errors in event handlers become a Chinese notification instead of a dead screen.

Textual stops a screen's message loop (and, for key bindings, the app's) after a handler
raises, so catching in `App._handle_exception` is too late to keep working. Every handler and
action of the app is wrapped with `guarded`: the error is reported through the app (a
FieldkitError as its own message, anything else logged with its traceback) and the screen
goes on with whatever the user had typed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode

F = TypeVar("F", bound=Callable[..., Any])


def guarded(handler: F) -> F:
    """Wrap a (synchronous) handler or action method; put it below any @on decorator."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except Exception as exc:
            owner = args[0] if args and isinstance(args[0], DOMNode) else None
            if owner is None:
                raise
            owner.app.report_error(exc)  # type: ignore[attr-defined]
            return None

    return wrapper  # type: ignore[return-value]
