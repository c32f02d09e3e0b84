"""Hooks: how a domain lets the domains above it act in its transactions without knowing them.

The lower domain owns a :class:`Hooks` per occasion (a :class:`~bca.core.domain.Slot` of async
functions) and runs it; each domain above lists its function in its manifest
(``OCCASION.plug(function)``), and ``bca.domains.assemble`` puts it in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec

from bca.core.domain import Slot

P = ParamSpec("P")


class Hooks(Slot[Callable[P, Awaitable[None]]]):
    """The functions plugged in for one occasion, run in the order of the list of domains."""

    async def run(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for hook in self:
            await hook(*args, **kwargs)
