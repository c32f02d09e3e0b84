"""``bca storage``: the object storage (local folder or S3 bucket)."""

from __future__ import annotations

import typer

from bca.cli.common import command_settings, fail, group, run_coroutine

storage_app = group("Object storage (local folder or S3 bucket).")


@storage_app.command("init")
def storage_init() -> None:
    """Create the storage the settings name, unless it exists: the S3 bucket
    (AWS_S3_BUCKET_NAME, in AWS_REGION) or the local folder. Safe to run again."""
    from bca.backends.storage import NotReady, create_storage

    settings = command_settings()

    async def ensure() -> str:
        storage = create_storage(settings)
        try:
            return await storage.ensure()
        finally:
            await storage.close()

    try:
        typer.echo(run_coroutine(ensure()))
    except NotReady as problem:
        raise fail(problem.detail) from None
    except Exception as error:  # the store's own words: unreachable, refused, bad region ...
        raise fail(f"storage init failed: {type(error).__name__}: {error}") from None
