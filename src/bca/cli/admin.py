"""``bca admin``: create accounts, list them, and act on them with the admin actions' table
(``bca admin users <action> USER``)."""

from __future__ import annotations

import asyncio
import functools
import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from bca.cli.common import (
    command_settings,
    fail,
    group,
    one_shot_backends,
    ready_database,
    run_coroutine,
)

if TYPE_CHECKING:
    from typer._click import Command, Context  # the click typer carries

    from bca.admin.actions import Action
    from bca.rights.residue import Residue


class _UsersGroup(TyperGroup):
    """``bca admin users``: ``list``, and one command per row of the admin actions' table
    that the shell is offered (``bca.admin.actions.ACTIONS``)."""

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_shell_commands()})

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        return super().get_command(ctx, cmd_name) or _shell_commands().get(cmd_name)


admin_app = group("Administration of accounts.")
users_app = group(
    "Find accounts and act on them; USER is an email address, a username or an account id.",
    cls=_UsersGroup,
)
admin_app.add_typer(users_app, name="users")


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Email address (marked verified).")],
    username: Annotated[
        # The pattern is accounts.schemas.USERNAME_PATTERN, written out to keep `bca` quick to
        # start (tests/integration/test_cli.py checks that the two agree).
        str, typer.Option(help="Username: 3 to 32 of a-z, 0-9, _ and . (^[a-z0-9_.]{3,32}$).")
    ],
    admin: Annotated[
        bool, typer.Option("--admin", help="Give the account the admin role.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account directly (no mail, email already verified)."""
    from bca.admin_commands import create_user_directly

    settings = command_settings()
    ready_database(settings)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            raise fail("the passwords differ")
    try:
        user_id = asyncio.run(
            create_user_directly(
                settings, email=email, username=username, password=password, admin=admin
            )
        )
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(f"created user {user_id}{' (admin)' if admin else ''}")


UserArgument = Annotated[
    str, typer.Argument(metavar="USER", help="Email address, username or account id.")
]


@users_app.command("list")
def users_list(
    query: Annotated[
        str | None,
        typer.Option("--query", "-q", help="Part of an email address, username or nickname."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, oldest first.", min=1)] = 100,
) -> None:
    """List accounts: id, email, username, role and state."""
    from bca import admin_commands as admin

    settings = command_settings()
    ready_database(settings)
    users = run_coroutine(admin.list_users(settings, query=query, limit=limit))
    if not users:
        typer.echo("no accounts" + (f" match {query!r}" if query else ""), err=True)
        return
    rows = [("ID", "EMAIL", "USERNAME", "ROLE", "STATE", "CREATED")]
    for user in users:
        state = [
            word
            for word, present in (
                ("unverified", user.email_verified_at is None),
                ("locked", user.locked),
                ("deactivated", user.deactivated_at is not None),
            )
            if present
        ]
        rows.append(
            (
                str(user.id),
                user.email,
                user.username,
                user.role,
                ",".join(state) or "active",
                user.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


@users_app.command("residue")
def users_residue(user: UserArgument) -> None:
    """List every table and storage prefix still holding anything of the account (an erased
    account by its id); nothing once it is erased. Exit status 1 while something is left."""
    from bca import admin_commands as admin

    settings = command_settings()
    ready_database(settings)

    async def run() -> tuple[str, list[Residue]]:
        async with one_shot_backends(settings) as backends:
            return await admin.residue(backends, user)

    who, found = run_coroutine(run())  # an unknown login is one line (UserNotFound)
    if not found:
        typer.echo(f"nothing of {who} is left in any table or storage prefix")
        return
    typer.echo(f"{who} is still in:")
    for item in found:
        unit = "row" if item.kind == "table" else "object"
        plural = "" if item.count == 1 else "s"
        typer.echo(f"  {item.kind} {item.name}: {item.count} {unit}{plural}")
    raise typer.Exit(1)


ReasonOption = Annotated[
    str | None, typer.Option(help="Why (kept in the audit record, as from the console).")
]


def _shell_command(action: Action) -> Command:
    """``bca admin users <action> USER``, from a row of the admin actions' table."""
    shell = action.shell
    if shell is None:
        raise ValueError(f"{action.audit_name} is not offered at the shell")

    def take(user: str, reason: str | None) -> None:
        from bca import admin_commands as admin

        settings = command_settings()
        ready_database(settings)

        async def run() -> str:
            async with one_shot_backends(settings) as backends:
                return await admin.apply(backends, user, action, reason=reason)

        typer.echo(run_coroutine(run()))

    if action.asks_reason:

        def command(user: UserArgument, reason: ReasonOption = None) -> None:
            take(user, reason)

    else:

        def command(user: UserArgument) -> None:  # type: ignore[misc]  # one of two signatures
            take(user, None)

    command.__doc__ = shell.help
    single = group("")
    single.command(action.name)(command)
    return typer.main.get_command(single)  # a Typer of one command is that command


@functools.cache
def _shell_commands() -> dict[str, Command]:
    # Imported when `bca admin users` is used, not for `bca --help` or other commands: the
    # table brings every domain's services with it.
    from bca.admin_commands import shell_actions

    return {action.name: _shell_command(action) for action in shell_actions()}
