"""The home page and the offline API docs (the browser test renders them without network)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories.accounts import Api


async def test_home_page_says_what_this_is_and_links_the_docs(api: Api) -> None:
    page = await api.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for link in ("/docs", "/redoc", "/openapi.json", "/healthz", "/readyz"):
        assert f'href="{link}"' in page.text
    assert "B.Ca API server" in page.text
    assert "<script" not in page.text
    # Embedded mode: first steps with the server's own address and the mail folder.
    assert "curl -X POST https://bca.test/v1/auth/signup" in page.text
    assert str(api.backends.settings.outbox_path.resolve()) in page.text


@pytest.mark.parametrize("settings_overrides", [{"mode": "production"}])
async def test_home_page_in_production_keeps_its_internals(
    api: Api, settings_overrides: dict[str, Any]
) -> None:
    page = await api.client.get("/")
    assert page.status_code == 200
    assert 'href="/docs"' in page.text
    assert "First steps" not in page.text
    assert str(api.backends.settings.data_dir.resolve()) not in page.text


async def test_docs_load_every_asset_from_this_server(api: Api) -> None:
    for path, bundle in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = await api.client.get(path)
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp, "no inline script, nothing from elsewhere"
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources, page.text
        assert all(source.startswith("/") for source in sources), sources
        assert f"/assets/{bundle}" in sources
        assert "<script>" not in page.text
        for source in sources:
            asset = await api.client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 0
    init = await api.client.get("/assets/swagger-init.js")
    assert "SwaggerUIBundle" in init.text
    assert init.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert (await api.client.get("/assets/../settings.py")).status_code == 404
