"""The entity types of offline sync: one :class:`EntitySpec` each, declared by the domain that
owns the entity (``profiles/sync.py``, ``cards/sync.py``, ``chat/sync.py``, ``contacts/sync.py``)
and plugged into :data:`ENTITIES` by that domain's manifest (``ENTITIES.plug(SPEC)``).

Everything in this package reads the slot: the change log decides visibility with
``statement``, ``/v1/sync/changes`` and snapshots render with ``render`` and ``key``, the
snapshot file's tables come from ``columns``. So adding an entity type is one spec, one line
in its manifest and the writers' ``record(...)`` calls; nothing here changes.
"""

from __future__ import annotations

import types
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy import Select, TupleType, Uuid, bindparam

from bca.core.domain import Slot

Data = dict[str, Any]
AnySelect = Select[*tuple[Any, ...]]
Row = Mapping[str, Any]
"""One row of an entity's visibility statement (``row._mapping``), always with ``viewer``."""


@dataclass(frozen=True)
class EntitySpec:
    name: str
    """The ``entity`` of change-log entries and of ``/v1/sync/changes``."""
    table: str
    """The snapshot file's table."""
    columns: Mapping[str, str]
    """The snapshot table's columns besides ``id``, each with its SQLite type: the ``data`` of
    an upsert fills them (absent ones NULL). Made by :func:`columns_of` from the schemas that
    ``render`` dumps, so that they cannot drift apart."""
    key: Literal["id", "pair"]
    """How the change-log id is made: the entity's UUID, or ``"<uuid>:<uuid>"``."""
    statement: Callable[[Any, Any], AnySelect]
    """``(viewers, ids)`` -> the rows (viewer, ...) each viewer sees; ``ids`` is ``None`` for
    everything one viewer sees (then the bind parameter ``viewer`` names them), else a bind
    parameter of UUIDs or of UUID pairs. Built once per entity and reused."""
    key_of: Callable[[Row], str]
    """A row of ``statement`` -> the entity's change-log id."""
    render: Callable[[Row, str], Data]
    """A row of ``statement`` -> ``data`` as the API shows it, given the public URL that file
    links start with."""
    prefer: Callable[[Data, Data], bool] = field(default=lambda new, kept: False)
    """When one viewer gets two rows of one entity (a chat they take part in with two of their
    profiles): whether the new rendering replaces the one kept."""
    indexes: tuple[str, ...] = ()
    """Extra snapshot indexes, as column names."""


def columns_of(*shapes: type[BaseModel]) -> dict[str, str]:
    """The snapshot columns of an entity rendered as one of ``shapes``: its ``*Read`` schema
    first, then any narrower shape a viewer may get (a private profile's summary).

    Every field but ``id``, in the first shape's order (then the others' new ones), as INTEGER
    (``bool``, ``int``), REAL (``float``) or TEXT (everything else: strings, UUIDs, times, JSON);
    NOT NULL where every shape has the field, required and never None. A change here changes
    the snapshot file's schema: ``bca.sync.snapshots.SCHEMA_VERSION`` goes up with it."""
    names = dict.fromkeys(name for shape in shapes for name in shape.model_fields if name != "id")
    columns: dict[str, str] = {}
    for name in names:
        fields = [shape.model_fields.get(name) for shape in shapes]
        present = [field for field in fields if field is not None]
        kind = _sqlite_type(present[0].annotation)
        required = all(
            field is not None and field.is_required() and not _may_be_none(field.annotation)
            for field in fields
        )
        columns[name] = f"{kind} NOT NULL" if required else kind
    return columns


def _may_be_none(annotation: Any) -> bool:
    return _is_union(annotation) and type(None) in get_args(annotation)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _sqlite_type(annotation: Any) -> str:
    if _is_union(annotation):
        kinds = {_sqlite_type(arg) for arg in get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else "TEXT"
    if get_origin(annotation) is Literal:
        values = get_args(annotation)
        if all(isinstance(value, bool | int) for value in values):
            return "INTEGER"
        return "TEXT"
    if annotation in (bool, int):
        return "INTEGER"
    if annotation is float:
        return "REAL"
    return "TEXT"


# The bind parameters of every entity's statement, built once per entity and reused.
VIEWERS = bindparam("viewers", expanding=True, type_=Uuid())
VIEWER = bindparam("viewer", type_=Uuid())
"""The one viewer whose whole view a statement with ``ids=None`` lists."""
IDS = bindparam("ids", expanding=True, type_=Uuid())
PAIRS = bindparam("pairs", expanding=True, type_=TupleType(Uuid(), Uuid()))

ENTITIES: Slot[EntitySpec] = Slot("sync entities", key=lambda spec: spec.name)
"""Every entity type, from the manifests, in the order of the list of domains (the snapshot
file's tables follow it)."""


def spec_of(entity: str) -> EntitySpec:
    try:
        return ENTITIES.get(entity)
    except KeyError:
        raise ValueError(f"unknown sync entity {entity}") from None


def pair_key(first: uuid.UUID, second: uuid.UUID) -> str:
    """The change-log id of a pair entity (a relation profile:target, a wallet entry
    profile:card)."""
    return f"{first}:{second}"


def parse_key(spec: EntitySpec, key: str) -> Any:
    """A change-log id as the statement's ``ids`` want it; None for one we never wrote."""
    try:
        if spec.key == "pair":
            first, _, second = key.partition(":")
            return uuid.UUID(first), uuid.UUID(second)
        return uuid.UUID(key)
    except ValueError:
        return None
