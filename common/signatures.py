"""What a function or class accepts, read off its signature."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def _parameters(function: Callable) -> dict[str, inspect.Parameter]:
    target = function.__init__ if inspect.isclass(function) else function
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return {}
    return {name: parameter for name, parameter in parameters.items() if name != "self"}


def accepted_arguments(function: Callable, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """Keyword arguments of `function` (a class: its constructor) with their defaults, None where required."""
    return {
        name: (None if parameter.default is inspect.Parameter.empty else parameter.default)
        for name, parameter in _parameters(function).items()
        if name not in leave_out
        and parameter.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL,
                                   inspect.Parameter.POSITIONAL_ONLY)
    }


def takes_any_keyword(function: Callable) -> bool:
    """Whether `function` has a `**kwargs` parameter."""
    return any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in _parameters(function).values())


def required_arguments(function: Callable) -> list[str]:
    """Parameters that have no default and are not `*args` / `**kwargs`."""
    return [name for name, parameter in _parameters(function).items()
            if parameter.default is inspect.Parameter.empty
            and parameter.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)]


def keep_accepted(function: Callable, arguments: dict[str, Any]) -> dict[str, Any]:
    """The subset of `arguments` that `function` can take (all of them when it takes `**kwargs`)."""
    if takes_any_keyword(function):
        return dict(arguments)
    accepted = accepted_arguments(function)
    return {name: value for name, value in arguments.items() if name in accepted}
