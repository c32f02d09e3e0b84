"""How a domain declares itself: one :class:`Domain` manifest per domain package, and
:class:`Slot`, the one typed mechanism by which a domain lends things to the others.

A domain package (``bca/<domain>/manifest.py``) builds one ``MANIFEST = Domain(...)`` from its
own modules, explicitly: its tables (``models``), its ``plugs``, and its ``web``: a function
that imports and returns its HTTP routers, console views and exception handlers (:class:`Web`)
when an app is built, so that a command or a worker, which serve no HTTP, never import routes,
templates or the console. ``bca.domains.DOMAINS`` lists the manifests; the app,
the worker, the CLI, the console and Alembic are assembled from that list
(``bca.domains.assemble``, ``bca.domains.metadata_of``). Nothing registers itself when it is
imported: a module nobody lists in a manifest takes no part.

A :class:`Slot` is a typed, ordered list owned by one module that reads it; the domains fill it
through their manifests with ``SLOT.plug(item)`` (a :class:`Plug`, checked by mypy against the
slot's type). The slots are:

- ``bca.backends.tasks.TASKS``: :class:`~bca.backends.tasks.Task` (name, function, ``every``),
  run in-process or by ``bca worker``;
- ``bca.sync.entities.ENTITIES``: :class:`~bca.sync.entities.EntitySpec`, the entity types of
  offline sync (the snapshot file's tables follow the order of the list of domains);
- ``bca.sync.snapshot_search.SEARCHABLE``: :class:`~bca.sync.snapshot_search.Searchable`, the
  entities the snapshot's search table holds and their terms (the search domain's);
- hooks (:class:`bca.core.hooks.Hooks`, a slot of async functions run in order):
  ``bca.accounts.hooks.ACCOUNT_CREATED`` / ``ACCOUNT_SHOWN_OR_HIDDEN``,
  ``bca.profiles.hooks.PROFILE_REMOVED`` / ``BLOCKED``;
- file uses: ``bca.files.uses.EXPOSURES`` (whom a use shows a file to) and ``KEEPERS`` (which
  uses keep a file);
- ways to reach a profile: ``bca.profiles.visibility.REACHES`` and ``bca.profiles.sync.LINKS``;
- where a person's data lives: ``bca.core.personal.PERSONAL_DATA`` (every table, personal or
  not, with its eraser and exporter) and ``PERSONAL_STORAGE`` (a user's storage prefixes);
- occasions for search: ``bca.chat.hooks.MESSAGES_WRITTEN`` (a chat's messages changed),
  ``bca.sync.changelog.CHANGED`` (entities a transaction changed, before its commit) and
  ``bca.profiles.matching.TEXT_MATCHES`` (a list's ``q`` by the index's tokens).

``bca.domains.assemble(domains)`` fills every slot anew from the manifests (a slot no manifest
plugs into is left empty), in the order of the list (so it may run more than once, as tests
do with a list of their own).
A new kind of contribution is a new ``Slot`` in the module that reads it; a new domain is a
package with a ``manifest.py`` and one line in ``bca.domains.DOMAINS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from fastapi import APIRouter

T = TypeVar("T")


class Slot(Generic[T]):
    """An ordered list of ``T`` that the domains fill through their manifests.

    With ``key``, items are also found by name (:meth:`get`, ``in``), and a name may appear
    only once."""

    every: ClassVar[list[Slot[Any]]] = []
    """Every slot made, so that assembly can empty them all."""

    def __init__(self, name: str, *, key: Callable[[T], str] | None = None) -> None:
        self.name = name
        self._key = key
        self._items: list[T] = []
        self._by_key: dict[str, T] = {}
        Slot.every.append(self)

    def plug(self, item: T) -> Plug[T]:
        """What a manifest lists to put ``item`` in this slot."""
        return Plug(self, item)

    def fill(self, items: list[T]) -> None:
        """Hold exactly ``items`` from now on (swapped in at once: a reader sees the old
        contents or the new, never a half-filled slot)."""
        by_key: dict[str, T] = {}
        if self._key is not None:
            for item in items:
                key = self._key(item)
                if key in by_key:
                    raise ValueError(f"{self.name}: {key} is declared twice")
                by_key[key] = item
        self._items, self._by_key = list(items), by_key

    def get(self, key: str) -> T:
        """The item named ``key`` (KeyError when there is none)."""
        return self._by_key[key]

    def names(self) -> list[str]:
        """The items' names, in order (a slot with ``key``)."""
        return list(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Plug(Generic[T]):
    """One item a domain puts in one slot (made by :meth:`Slot.plug`)."""

    slot: Slot[T]
    item: T


ExceptionHandler = Callable[..., Any]


@dataclass(frozen=True)
class Web:
    """What a domain serves over HTTP, made by its manifest's ``web`` function."""

    routers: tuple[APIRouter, ...] = ()
    """Its HTTP routes, included in the app in the order of the list of domains (``hot``
    domains first)."""
    console_views: tuple[type[Any], ...] = ()
    """Its pages in the admin console (``bca.admin.views.ConsoleView`` subclasses)."""
    exception_handlers: Mapping[type[Exception], ExceptionHandler] = field(default_factory=dict)
    """Errors of its own that it answers in its own format (CardDAV's XML errors)."""


def no_web() -> Web:
    """The ``web`` of a domain that serves nothing over HTTP."""
    return Web()


@dataclass(frozen=True)
class Domain:
    """Everything one domain brings to the service, built explicitly in its ``manifest.py``."""

    name: str
    """The package's name (``cards``)."""
    models: tuple[type[Any], ...] = ()
    """Its mapped classes: Alembic's metadata and the test schema are made from these."""
    plugs: tuple[Plug[Any], ...] = ()
    """What it puts in the slots of the domains below it and of the platform: tasks, sync
    entities, hooks, file uses, ways to reach a profile (see the module's docstring)."""
    web: Callable[[], Web] = no_web
    """Imports and returns its routes, console views and exception handlers; called only when
    an app is built (``bca.app.create_app``)."""
    hot: bool = False
    """Its routes are matched before the others' (the busiest: chat, sync); routes are tried
    one after another, a few microseconds each."""
