"""Load the plugins named in router.yaml: import them, validate their config, check their hooks.

``module: "pkg.mod:Class"`` names a ``Plugin`` subclass; ``module: "pkg.mod"`` names a
module whose top-level ``async def`` functions are hooks (and whose optional ``Config``
model validates the entry's ``config``, passed to its ``startup(config)`` if it has one).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

from router.plugins.api import HOOKS, Plugin

Loc = tuple[str | int, ...]


class PluginLoadError(Exception):
    """A plugin that cannot be used: each problem with where in the entry it is."""

    def __init__(self, message: str, loc: Loc = ("module",)) -> None:
        super().__init__(message)
        self.problems: list[tuple[Loc, str]] = [(loc, message)]


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    """A plugin ready to run: its configured name and the object whose hooks are called."""

    name: str
    target: Any  # a Plugin instance, or a module

    def hook(self, hook: str) -> Any | None:
        """The hook's coroutine function if this plugin defines it, else None."""
        if isinstance(self.target, ModuleType):
            return getattr(self.target, hook, None)
        method = getattr(type(self.target), hook, None)
        if method is None or method is getattr(Plugin, hook):
            return None
        return getattr(self.target, hook)

    async def startup(self) -> None:
        if isinstance(self.target, ModuleType):
            start = getattr(self.target, "startup", None)
            if start is not None:
                await start(getattr(self.target, "__switchboard_config__", None))
        else:
            await self.target.startup()

    async def shutdown(self) -> None:
        stop = getattr(self.target, "shutdown", None)
        if stop is not None:
            await stop()


def load_plugin(module: str, config: dict[str, Any], name: str | None = None) -> LoadedPlugin:
    """Import and configure one plugin; raises PluginLoadError naming what is wrong."""
    target = _import(module)
    model = getattr(target, "Config", None)
    validated: Any = config
    if model is not None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise PluginLoadError(f"{module}: Config must be a pydantic model")
        try:
            validated = model.model_validate(config)
        except ValidationError as exc:
            raise _config_error(exc) from None
    elif config:
        raise PluginLoadError(
            f"{module} takes no config (it declares no Config model)", ("config",)
        )
    if isinstance(target, ModuleType):
        plugin: Any = target
        target.__switchboard_config__ = validated  # type: ignore[attr-defined]
    elif isinstance(target, type) and issubclass(target, Plugin):
        plugin = target(validated)
    else:
        raise PluginLoadError(f"{module} is neither a Plugin subclass nor a module")
    loaded = LoadedPlugin(name or module, plugin)
    if isinstance(plugin, Plugin):
        plugin.name = loaded.name
    for hook in HOOKS:
        function = loaded.hook(hook)
        if function is not None and not inspect.iscoroutinefunction(function):
            raise PluginLoadError(f"{module}: {hook} must be `async def`")
    return loaded


def _import(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of the plugin's code
        raise PluginLoadError(
            f"cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise PluginLoadError(f"module {module_name!r} has no {attribute!r}") from None


def _config_error(exc: ValidationError) -> PluginLoadError:
    problems: list[tuple[Loc, str]] = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append((("config", *error["loc"]), message))
    failure = PluginLoadError(problems[0][1], problems[0][0])
    failure.problems = problems
    return failure
