"""``addressbook-query`` filters (RFC 6352 §10.5), evaluated against the vCard as served.

The filter is parsed and checked once (unsupported collations and match types are refused
before any card is read), then applied to each card's rendered vCard, so that a filter sees
exactly the properties a client would download.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bca.carddav.errors import UnsupportedCollation, UnsupportedFilter
from bca.carddav.xml import Element, carddav

Property = tuple[str, dict[str, list[str]], str]
"""(upper-case name, upper-case parameter name -> values, unescaped value)."""

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_MATCH_TYPES = {"equals", "contains", "starts-with", "ends-with"}


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda found: "\n" if found.group(1) in "nN" else found.group(1), value)


def properties(vcard: str) -> list[Property]:
    """The content lines of a vCard we rendered (unfolded; no groups, no quoted colons)."""
    parsed: list[Property] = []
    for line in vcard.replace("\r\n ", "").split("\r\n"):
        head, separator, value = line.partition(":")
        if not separator:
            continue
        name, *raw_params = head.split(";")
        params: dict[str, list[str]] = {}
        for raw in raw_params:
            key, _, values = raw.partition("=")
            params.setdefault(key.upper(), []).extend(values.split(","))
        parsed.append((name.upper(), params, _unescape(value)))
    return parsed


def _folder(collation: str) -> Callable[[str], str]:
    if collation == "i;unicode-casemap":
        return str.casefold
    if collation == "i;ascii-casemap":
        return lambda text: text.translate(_ASCII_LOWER)
    if collation == "i;octet":
        return lambda text: text
    raise UnsupportedCollation()


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class TextMatch:
    text: str
    fold: Callable[[str], str]
    match_type: str
    negate: bool

    def __call__(self, value: str) -> bool:
        needle, haystack = self.fold(self.text), self.fold(value)
        if self.match_type == "equals":
            found = haystack == needle
        elif self.match_type == "starts-with":
            found = haystack.startswith(needle)
        elif self.match_type == "ends-with":
            found = haystack.endswith(needle)
        else:
            found = needle in haystack
        return found != self.negate


@dataclass(frozen=True)
class ParamFilter:
    name: str
    undefined: bool
    match: TextMatch | None

    def __call__(self, params: dict[str, list[str]]) -> bool:
        values = params.get(self.name)
        if self.undefined:
            return values is None
        if values is None:
            return False
        return self.match is None or any(self.match(value) for value in values)


@dataclass(frozen=True)
class PropFilter:
    name: str
    all_of: bool
    undefined: bool
    matches: list[TextMatch] = field(default_factory=list)
    params: list[ParamFilter] = field(default_factory=list)

    def __call__(self, card: list[Property]) -> bool:
        instances = [(params, value) for name, params, value in card if name == self.name]
        if self.undefined:
            return not instances
        if not instances:
            return False
        results = [any(match(value) for _, value in instances) for match in self.matches]
        results += [any(param(params) for params, _ in instances) for param in self.params]
        if not results:
            return True
        return all(results) if self.all_of else any(results)


@dataclass(frozen=True)
class Filter:
    all_of: bool = False
    props: list[PropFilter] = field(default_factory=list)

    def __call__(self, card: list[Property]) -> bool:
        if not self.props:
            return True
        results = (prop(card) for prop in self.props)
        return all(results) if self.all_of else any(results)


def _all_of(node: Element) -> bool:
    test = node.get("test", "anyof")
    if test not in ("anyof", "allof"):
        raise UnsupportedFilter()
    return test == "allof"


def _text_match(node: Element) -> TextMatch:
    match_type = node.get("match-type", "contains")
    if match_type not in _MATCH_TYPES:
        raise UnsupportedFilter()
    return TextMatch(
        text=node.text or "",
        fold=_folder(node.get("collation", "i;unicode-casemap")),
        match_type=match_type,
        negate=node.get("negate-condition", "no") == "yes",
    )


def _param_filter(node: Element) -> ParamFilter:
    match = node.find(carddav("text-match"))
    return ParamFilter(
        name=node.get("name", "").upper(),
        undefined=node.find(carddav("is-not-defined")) is not None,
        match=_text_match(match) if match is not None else None,
    )


def parse_filter(node: Element | None) -> Filter:
    """The ``CARDDAV:filter`` element (absent: every card matches)."""
    if node is None:
        return Filter()
    props = []
    for prop in node.findall(carddav("prop-filter")):
        name = prop.get("name")
        if not name:
            raise UnsupportedFilter()
        unknown = [
            child.tag
            for child in prop
            if child.tag
            not in {carddav(tag) for tag in ("is-not-defined", "text-match", "param-filter")}
        ]
        if unknown:
            raise UnsupportedFilter()
        props.append(
            PropFilter(
                name=name.upper(),
                all_of=_all_of(prop),
                undefined=prop.find(carddav("is-not-defined")) is not None,
                matches=[_text_match(match) for match in prop.findall(carddav("text-match"))],
                params=[_param_filter(param) for param in prop.findall(carddav("param-filter"))],
            )
        )
    return Filter(all_of=_all_of(node), props=props)
