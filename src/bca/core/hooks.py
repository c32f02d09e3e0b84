"""Hooks: how a domain lets the domains above it act in its transactions without knowing them.

The lower domain owns a :class:`Hooks` per occasion and runs it; each domain above registers
its function with the decorator :meth:`Hooks.register`, in its own module, collected by
``bca.registry``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hooks(Generic[P]):
    """The functions registered for one occasion, run in the order they were registered."""

    def __init__(self) -> None:
        self._hooks: list[Callable[P, Awaitable[None]]] = []

    def register(self, hook: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
        self._hooks.append(hook)
        return hook

    async def run(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for hook in self._hooks:
            await hook(*args, **kwargs)
