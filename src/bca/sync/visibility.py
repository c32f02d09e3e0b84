"""What a user can see, through the entity registry: the one question that snapshots,
``/v1/sync/changes`` and the write path all ask, so they cannot disagree about visibility.

Each entity's spec (``bca.sync.entities``) builds a statement yielding one row per (viewer,
visible entity); ``ids`` restricts it to given entities (the changes of a page, the keys a
write touched) and ``ids=None`` lists everything one viewer sees (a snapshot). The statements
are built once per (entity, everything-or-some) with bind parameters and reused: building them
costs far more than running them.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from bca.sync.entities import IDS, PAIRS, VIEWERS, AnySelect, Data, parse_key, spec_of


@functools.cache
def _template(entity: str, everything: bool) -> AnySelect:
    spec = spec_of(entity)
    ids = None if everything else (PAIRS if spec.key == "pair" else IDS)
    return spec.statement(VIEWERS, ids)


def clear_statements() -> None:
    """Forget the built statements (after the registry changed)."""
    _template.cache_clear()


def statement(
    entity: str, viewers: Collection[uuid.UUID], keys: Collection[str] | None
) -> tuple[AnySelect, dict[str, Any]]:
    """The visibility statement of ``entity`` for change-log keys (``None``: everything one
    viewer sees) and its parameters, to pass together to ``session.execute``."""
    spec = spec_of(entity)
    parameters: dict[str, Any] = {"viewers": list(viewers)}
    if keys is None:
        if len(viewers) != 1:
            raise ValueError("listing everything visible is for one viewer at a time")
        parameters["viewer"] = next(iter(viewers))
    else:
        parsed = [found for found in (parse_key(spec, key) for key in keys) if found is not None]
        parameters["pairs" if spec.key == "pair" else "ids"] = parsed
    return _template(entity, keys is None), parameters


def render_rows(entity: str, rows: Iterable[Any], *, public_url: str) -> dict[str, Data]:
    """Rows of :func:`statement` for one viewer, as ``{change-log id: data}``."""
    spec = spec_of(entity)
    rendered: dict[str, Data] = {}
    for row in rows:
        key, data = spec.key_of(row._mapping), spec.render(row._mapping, public_url)
        if key not in rendered or spec.prefer(data, rendered[key]):
            rendered[key] = data
    return rendered


def visible_pairs(entity: str, rows: Iterable[Any]) -> set[tuple[uuid.UUID, str]]:
    """(viewer, change-log id) of each row of :func:`statement`."""
    spec = spec_of(entity)
    return {(row._mapping["viewer"], spec.key_of(row._mapping)) for row in rows}
