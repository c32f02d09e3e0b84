"""``bca serve``: the HTTP/WebSocket API, with what it says and checks before it starts."""

from __future__ import annotations

import logging
import os
import socket
from typing import Annotated, Any

import typer

from bca.cli.common import command_settings, fail, ready_database, warn_if_scans_cannot_run
from bca.settings import Mode, Settings

logger = logging.getLogger("bca")


def _listening_url(host: str, port: int) -> str:
    """The address links should carry when BCA_PUBLIC_URL is unset: where this server
    listens, with "localhost" for the wildcard addresses (they name no reachable host)."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104  # compared, not bound
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _check_port_free(host: str, port: int) -> None:
    """Fail with a hint now, rather than as a log line after start-up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        # As uvicorn binds: a port in TIME_WAIT is free, one that something listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = error.strerror or str(error)
            raise fail(
                f"cannot listen on {host}:{port}: {reason.lower()}. Choose another port: "
                f"`make run PORT={port + 1}` or `bca serve --port {port + 1}`",
                2,
            ) from None


def _announce(settings: Settings, local_url: str, *, human: bool) -> None:
    """The first lines of the log: where the docs are, where links point, where mail goes."""
    lines = [f"B.Ca API docs: {local_url}/docs", f"  home page: {local_url}/"]
    lines.append(f"  links in mails and share links: {settings.public_url}")
    if settings.mode is Mode.embedded:
        lines.append(
            f"  embedded mode: data in {settings.data_dir.resolve()}, mails printed here and "
            f"saved in {settings.outbox_path.resolve()}"
        )
    if human:
        lines.append("  stop with Ctrl+C")
        typer.echo("\n".join(lines), err=True)
    else:
        logger.info(lines[0].strip(), extra={"public_url": settings.public_url})


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (more than one needs Redis).", min=1)
    ] = 1,
) -> None:
    """Run the HTTP/WebSocket API.

    With no configuration at all this runs the embedded default: SQLite under ./var/, files
    under ./var/storage/, in-process cache and tasks, mail printed and saved to ./var/outbox/.
    The embedded database is created and migrated on first start. Without BCA_PUBLIC_URL,
    links in mails, share links and QR codes point at the address served here.
    """
    from bca.core.observability import configure_logging

    settings = command_settings()
    local_url = _listening_url(host, port)
    guessed_public_url = "public_url" not in settings.model_fields_set
    if guessed_public_url:
        # uvicorn's factory (in each worker process) loads the settings again from here.
        os.environ["BCA_PUBLIC_URL"] = local_url
        settings = command_settings()
    configure_logging(level=settings.log_level, json_format=settings.json_logs)
    if workers > 1 and not settings.redis_url:
        raise fail("--workers > 1 needs BCA_REDIS_URL (revocation and pub/sub are shared there)", 2)
    _check_port_free(host, port)
    _announce(settings, local_url, human=not settings.json_logs)
    if guessed_public_url and (
        settings.mode is Mode.production or local_url.startswith("http://localhost:")
    ):
        logger.warning(
            "BCA_PUBLIC_URL is not set: links in mails and share links point at %s; set it to "
            "the address people reach this server at",
            local_url,
        )
    ready_database(settings)
    if not (settings.broker_url or settings.aws_task_sqs_url):
        warn_if_scans_cannot_run()  # tasks (card scans among them) run in this process
    settings.signing_key  # noqa: B018  # create the embedded key once, before workers fork
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_config": None,
        # X-Forwarded-For is believed only from BCA_TRUSTED_PROXIES, by the app itself
        # (uvicorn would trust 127.0.0.1, letting any local process pick its address).
        "proxy_headers": False,
        # A deadline and size limits for request heads, uvicorn's keep-alive (bca.protocol).
        "http": "bca.protocol:GuardedHttpToolsProtocol",
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "ws_ping_interval": 20,
        # The sans-I/O implementation, without per-message compression: events are small, and
        # each connection's zlib state alone would cost ~45 KiB (see bench/README.md).
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,
    }
    import uvicorn

    application = "bca.app:create_app_from_environment"
    if workers > 1:
        from bca.supervisor import SpreadingMultiprocess

        SpreadingMultiprocess(uvicorn.Config(application, workers=workers, **options)).run()
    else:
        uvicorn.run(application, **options)
