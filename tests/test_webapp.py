"""The web app's files at /app/: caching, types, the SPA fallback, the policy, no traversal.

A tiny fake build stands in for ``web/dist`` (the browser tests in tests/browser/app/ serve the
real one); the stack does not matter here, so only the embedded one runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bca.settings import WEB_DIST, load_settings
from bca.webapp import CONTENT_SECURITY_POLICY

INDEX = (
    '<!doctype html><html lang="en"><title>B.Ca</title>'
    '<script type="module" src="/app/assets/index-Ab12Cd34.js"></script></html>'
)
SECRET = "the server's secret, never served"


@pytest.fixture
def stack() -> str:
    return "sqlite"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "icons").mkdir()
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-Ab12Cd34.js").write_text("console.log('app')")
    (root / "assets" / "index-Ef56Gh78.css").write_text("body{margin:0}")
    (root / "assets" / "zxing_reader-Ij90Kl12.wasm").write_bytes(b"\x00asm\x01\x00\x00\x00")
    (root / "manifest.webmanifest").write_text('{"name": "B.Ca"}')
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (root / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "secret.txt").write_text(SECRET)
    (root / "assets" / "link-out.txt").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.fixture
def settings_overrides(dist: Path) -> dict[str, Any]:
    return {"web_dist": dist}


async def test_index_is_revalidated_and_carries_the_strict_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/app/")
    assert page.status_code == 200
    assert page.text == INDEX
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["etag"]
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = page.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in csp
    assert "unsafe-eval'" not in csp.replace("'wasm-unsafe-eval'", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp.split("; ")
    assert (await client.get("/app/index.html")).text == INDEX


async def test_app_without_slash_goes_to_the_app(client: httpx.AsyncClient) -> None:
    response = await client.get("/app")
    assert response.status_code == 308
    assert response.headers["location"] == "/app/"


async def test_a_share_reaching_the_server_opens_the_share_screen(
    client: httpx.AsyncClient,
) -> None:
    """The service worker keeps what another app shared; without one, the screen opens empty."""
    response = await client.post(
        "/app/share-target", files={"file": ("a.png", b"...", "image/png")}, data={"text": "hi"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/app/chats/share"


async def test_head_answers_the_headers_of_get_without_a_body(client: httpx.AsyncClient) -> None:
    for path in ("/app/", "/app/assets/index-Ab12Cd34.js", "/app/wallet"):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == 200, path
        assert head.content == b""
        for header in ("content-type", "cache-control", "etag", "content-security-policy"):
            assert head.headers[header] == got.headers[header], (path, header)
        assert head.headers["content-length"] == str(len(got.content))


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("assets/index-Ab12Cd34.js", "text/javascript; charset=utf-8"),
        ("assets/index-Ef56Gh78.css", "text/css; charset=utf-8"),
        ("assets/zxing_reader-Ij90Kl12.wasm", "application/wasm"),
    ],
)
async def test_hashed_assets_are_cached_for_good(
    client: httpx.AsyncClient, path: str, media_type: str
) -> None:
    response = await client.get(f"/app/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_manifest_worker_and_icons_are_revalidated(client: httpx.AsyncClient) -> None:
    manifest = await client.get("/app/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.headers["cache-control"] == "no-cache"
    worker = await client.get("/app/sw.js")
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["service-worker-allowed"] == "/app/"
    icon = await client.get("/app/icons/icon-192.png")
    assert icon.headers["content-type"] == "image/png"
    assert icon.headers["cache-control"] == "no-cache"


async def test_text_goes_gzipped_to_a_browser_that_accepts_it(
    client: httpx.AsyncClient, dist: Path
) -> None:
    script = "export const words = [" + ", ".join(f"'word {n}'" for n in range(400)) + "];\n"
    (dist / "assets" / "chunk-Zz99Yy88.js").write_text(script)
    path = "/app/assets/chunk-Zz99Yy88.js"
    zipped = await client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < len(script) / 3
    assert zipped.text == script  # httpx undoes the gzip
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    refused = await client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    for answer in (plain, refused):
        assert "content-encoding" not in answer.headers
        assert answer.headers["content-length"] == str(len(script))
        assert answer.headers["vary"] == "Accept-Encoding"
    # One representation's ETag never validates the other's.
    assert zipped.headers["etag"] != plain.headers["etag"]
    again = await client.get(
        path, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
    )
    assert again.status_code == 304
    other = await client.get(
        path, headers={"Accept-Encoding": "identity", "If-None-Match": zipped.headers["etag"]}
    )
    assert other.status_code == 200
    # Pictures are compressed already: sent as they are.
    icon = await client.get("/app/icons/icon-192.png", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in icon.headers


async def test_an_unchanged_file_is_not_sent_again(client: httpx.AsyncClient) -> None:
    first = await client.get("/app/sw.js")
    again = await client.get("/app/sw.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    changed = await client.get("/app/sw.js", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


@pytest.mark.parametrize("path", ["wallet", "chats/12/messages", "cards/new", "share"])
async def test_the_apps_screens_get_index_html(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/app/{path}")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["assets/index-00000000.js", "missing.png", "icons/none.png", "assets/x.wasm"]
)
async def test_a_missing_file_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/app/{path}")
    assert response.status_code == 404
    assert INDEX not in response.text


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/app/..%2fsecret.txt",
        b"/app/%2e%2e/secret.txt",
        b"/app/%2E%2E%2Fsecret.txt",
        b"/app/assets/..%2f..%2fsecret.txt",
        b"/app/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
        b"/app/..%5csecret.txt",
        b"/app/assets%5c..%5c..%5csecret.txt",
        b"/app/%2ftmp%2fsecret.txt",
        b"/app/assets/link-out.txt",
        b"/app/secret.txt%00.js",
    ],
)
async def test_no_path_leaves_the_build_folder(
    client: httpx.AsyncClient, raw_path: bytes, dist: Path
) -> None:
    url = httpx.URL("http://testserver").copy_with(raw_path=raw_path)
    response = await client.get(url)
    assert response.request.url.raw_path == raw_path, "sent as written, not normalized"
    assert SECRET not in response.text
    # 422: the input boundary refuses a NUL before any route sees it.
    assert response.status_code in (200, 404, 422)
    if response.status_code == 200:  # a path without an extension: the app's own screen
        assert response.text == INDEX


async def test_openapi_leaves_the_app_out(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/app")]


async def test_home_page_links_the_app(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert 'href="/app/"' in page.text


class TestWithoutABuild:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        return {"web_dist": tmp_path / "no-such-dist"}

    @pytest.mark.parametrize("path", ["/app/", "/app/wallet"])
    async def test_the_app_says_how_to_build_it(self, client: httpx.AsyncClient, path: str) -> None:
        page = await client.get(path)
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "make run" in page.text
        assert "cd web &amp;&amp; npm ci &amp;&amp; npm run build" in page.text
        assert "<script" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]

    async def test_files_are_404_and_the_api_still_answers(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/app/assets/index-Ab12Cd34.js")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


def test_the_build_folder_is_web_dist_in_the_repository_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = Path(__file__).resolve().parents[1]
    assert repository / "web" / "dist" == WEB_DIST
    monkeypatch.delenv("BCA_WEB_DIST", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_settings().web_dist == repository / "web" / "dist"
    monkeypatch.setenv("BCA_WEB_DIST", str(tmp_path / "elsewhere"))
    assert load_settings().web_dist == tmp_path / "elsewhere"
