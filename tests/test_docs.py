"""The documentation cannot drift from the code: ``docs/api.md`` against the OpenAPI document,
both ways, and the repository stands on its own (no file points outside it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bca.app import create_app
from bca.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
API_DOC = ROOT / "docs" / "api.md"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ROW = re.compile(r"^\|\s*(?P<method>GET|HEAD|POST|PUT|PATCH|DELETE) (?P<path>/\S*)")
OUTSIDE_START = "<!-- outside-openapi -->"
OUTSIDE_END = "<!-- /outside-openapi -->"


def normalise(path: str) -> str:
    """``/v1/cards/{id}?format=`` and ``/v1/cards/{card_id}`` are one path: the query and the
    names of path parameters do not count."""
    path = path.split("?", 1)[0].rstrip("`*")
    return re.sub(r"\{[^}/]*\}", "{}", path)


def documented_operations(text: str) -> set[tuple[str, str]]:
    """Every ``| METHOD /path ...`` table row, except inside the fences that hold surfaces the
    OpenAPI document does not describe (CardDAV, the WebSocket, the app, the docs pages)."""
    rows: set[tuple[str, str]] = set()
    outside = False
    for line in text.splitlines():
        if line.strip() == OUTSIDE_START:
            outside = True
        elif line.strip() == OUTSIDE_END:
            outside = False
        elif not outside and (match := ROW.match(line)):
            rows.add((match["method"], normalise(match["path"])))
    assert not outside, f"{OUTSIDE_START} without its {OUTSIDE_END}"
    return rows


@pytest.fixture(scope="module")
def openapi_operations(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("var"), secret_key="docs-test-" + "x" * 32
    )
    document = create_app(settings).openapi()
    return {
        (method.upper(), normalise(path))
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }


def test_every_operation_of_the_openapi_document_is_in_docs_api_md(
    openapi_operations: set[tuple[str, str]],
) -> None:
    documented = documented_operations(API_DOC.read_text(encoding="utf-8"))
    missing = sorted(openapi_operations - documented)
    assert not missing, f"docs/api.md has no row for: {missing}"


def test_every_row_of_docs_api_md_is_an_operation_of_the_openapi_document(
    openapi_operations: set[tuple[str, str]],
) -> None:
    documented = documented_operations(API_DOC.read_text(encoding="utf-8"))
    unknown = sorted(documented - openapi_operations)
    assert not unknown, f"docs/api.md documents what the server does not serve: {unknown}"


def test_the_row_parser_reads_the_fences_and_normalises_paths() -> None:
    text = "\n".join(
        [
            "| GET /v1/cards/{id}/qr | `?format=png` | 200 |",
            "| PUT /v1/profiles/{me}/subscriptions/{card_id} *public* | x |",
            OUTSIDE_START,
            "| PROPFIND /dav/ | x |",
            OUTSIDE_END,
            "| not a row GET /v1/x |",
        ]
    )
    assert documented_operations(text) == {
        ("GET", "/v1/cards/{}/qr"),
        ("PUT", "/v1/profiles/{}/subscriptions/{}"),
    }


def test_no_file_of_the_repository_points_outside_it() -> None:
    """A clone elsewhere has no sibling folder: the contract lives in docs/."""
    sibling = "../" + "shared"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    offenders = []
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if sibling in text:
            offenders.append(name)
    assert not offenders, f"these refer to {sibling}: {offenders}"


def test_the_links_between_the_pages_lead_somewhere() -> None:
    """A relative link in README.md or docs/ names a file of the repository (and an anchor a
    heading of that page)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            name, _, anchor = target.partition("#")
            linked = (page.parent / name).resolve() if name else page
            if not linked.is_file():
                broken.append(f"{page.name}: {target}")
            elif anchor and anchor not in _anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors
