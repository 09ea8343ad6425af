"""The click command tree: parsing only. Each command returns the action to run.

The shared options (``--json``, ``--emulator``, credentials, ...) are accepted both
before and after the command name; they fill in the one :class:`Settings` object
passed as the context's ``obj``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from aura_async._version import __version__
from aura_async.cli import _verbs_instances as inst
from aura_async.cli import _verbs_other as other
from aura_async.cli._runtime import Action, api_action
from aura_async.cli._settings import Settings
from aura_async.models import CloudProvider, InstanceStatus, InstanceType

__all__ = ["cli"]

F = TypeVar("F", bound=Callable[..., Any])

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    """Return an option callback that records a given value on the shared settings."""

    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False:
            setattr(ctx.ensure_object(Settings), name, value)

    return store


def _shared(*names: str, **attrs: Any) -> Callable[[F], F]:
    """An option that only records its value on the shared settings."""
    dest = names[0].lstrip("-").replace("-", "_")
    return click.option(*names, expose_value=False, callback=_store(dest), **attrs)


_SHARED_OPTIONS = (
    _shared("--json", is_flag=True, help="Print the result as JSON (nothing else on stdout)."),
    _shared(
        "--emulator",
        is_flag=True,
        help=(
            "Run this command against a fresh embedded emulator (its state ends with the "
            "command; 'aura-async emulator' keeps one running)."
        ),
    ),
    _shared("--debug", is_flag=True, help="Show full tracebacks and DEBUG logs."),
    _shared(
        "--verbose",
        "-v",
        is_flag=True,
        help=(
            "Log each retry, 429 cooldown and token fetch [env: AURA_ASYNC_LOG=info]; "
            "show the rate limiter's statistics at the end."
        ),
    ),
    _shared("--client-id", metavar="ID", help="API client id [env: AURA_CLIENT_ID]."),
    _shared(
        "--client-secret", metavar="SECRET", help="API client secret [env: AURA_CLIENT_SECRET]."
    ),
    _shared("--base-url", metavar="URL", help="API origin [env: AURA_BASE_URL]."),
    _shared(
        "--concurrency",
        type=click.IntRange(min=1),
        metavar="N",
        help="Most operations in flight in a bulk command (default 16).",
    ),
)


def shared_options(command: F) -> F:
    """Add the shared options to a command (they only fill in the settings)."""
    for option in reversed(_SHARED_OPTIONS):
        command = option(command)
    return command


def _wait_options(command: F) -> F:
    command = click.option(
        "--interval",
        type=click.FloatRange(min=0, min_open=True),
        help="Seconds between polls (default 10; 0.25 with --emulator).",
    )(command)
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=900.0,
        show_default=True,
        help="Seconds to wait for each item.",
    )(command)


def _wait_of(
    ctx: click.Context, wait: bool, timeout: float, interval: float | None
) -> inst.WaitOptions | None:
    if not wait:
        return None
    settings = ctx.ensure_object(Settings)
    return inst.WaitOptions(timeout, settings.poll_interval(interval))


@click.group(context_settings=_CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="aura-async")
@shared_options
def cli() -> None:
    """Manage Neo4j Aura instances, projects and snapshots.

    Commands that take ids take many and run them as one bulk operation, within the
    API's rate limit. Credentials come from --client-id/--client-secret or the
    environment (AURA_CLIENT_ID, AURA_CLIENT_SECRET, AURA_BASE_URL). --emulator
    needs none: it starts a fresh emulator for that one command; 'aura-async
    emulator' keeps one running and prints the lines that point other commands at it.
    """


@cli.group(context_settings=_CONTEXT)
def tenants() -> None:
    """Projects (the API calls them tenants)."""


@tenants.command("list")
@shared_options
def tenants_list() -> Action:
    """List the projects the credential sees."""
    return api_action(other.list_tenants)


@tenants.command("get")
@click.argument("tenant_ids", nargs=-1, required=True, metavar="TENANT_ID...")
@shared_options
def tenants_get(tenant_ids: tuple[str, ...]) -> Action:
    """Show projects with the instance configurations they offer."""
    return api_action(lambda api: other.get_tenants(api, tenant_ids))


@cli.group(context_settings=_CONTEXT)
def instances() -> None:
    """Create, inspect, pause, resume and delete instances."""


@instances.command("list")
@click.option("--tenant-id", metavar="ID", help="Only this project's instances.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in InstanceStatus]),
    help="Only instances with this status (reads each instance: one request per instance).",
)
@shared_options
def instances_list(tenant_id: str | None, status: str | None) -> Action:
    """List instances (with --status, their details)."""
    if status is None:
        return api_action(lambda api: inst.list_instances(api, tenant_id))
    return api_action(lambda api: inst.list_instances_with_status(api, tenant_id, status))


@instances.command("get")
@click.argument("instance_ids", nargs=-1, required=True, metavar="INSTANCE_ID...")
@shared_options
def instances_get(instance_ids: tuple[str, ...]) -> Action:
    """Show instances' details."""
    return api_action(lambda api: inst.get_instances(api, instance_ids))


@instances.command("create")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--tenant-id", metavar="ID", help="The project (default: the only one).")
@click.option(
    "--cloud-provider", required=True, type=click.Choice([c.value for c in CloudProvider])
)
@click.option("--region", required=True, help="e.g. europe-west1.")
@click.option("--type", "type_", required=True, type=click.Choice([t.value for t in InstanceType]))
@click.option("--version", default="5", show_default=True, help="Neo4j version.")
@click.option("--memory", required=True, help="e.g. 8GB.")
@click.option("--storage", help="e.g. 16GB (default: the configuration's).")
@shared_options
def instances_create(names: tuple[str, ...], **options: Any) -> Action:
    """Create one instance per NAME; shows each initial password (only once)."""
    options["type"] = options.pop("type_")
    shape = inst.InstanceShape(**options)
    return api_action(lambda api: inst.create_instances(api, names, shape))


def _instance_action(status: str) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        command = click.option(
            "--wait", is_flag=True, help=f"Wait until the instances are {status}."
        )(command)
        command = _wait_options(command)
        return click.argument("instance_ids", nargs=-1, required=True, metavar="INSTANCE_ID...")(
            command
        )

    return decorate


@instances.command("pause")
@_instance_action("paused")
@shared_options
@click.pass_context
def instances_pause(ctx: click.Context, /, instance_ids: tuple[str, ...], **wait: Any) -> Action:
    """Pause running instances."""
    options = _wait_of(ctx, **wait)
    return api_action(lambda api: inst.pause_instances(api, instance_ids, options))


@instances.command("resume")
@_instance_action("running")
@shared_options
@click.pass_context
def instances_resume(ctx: click.Context, /, instance_ids: tuple[str, ...], **wait: Any) -> Action:
    """Resume paused instances."""
    options = _wait_of(ctx, **wait)
    return api_action(lambda api: inst.resume_instances(api, instance_ids, options))


@instances.command("delete")
@click.argument("instance_ids", nargs=-1, required=True, metavar="INSTANCE_ID...")
@shared_options
def instances_delete(instance_ids: tuple[str, ...]) -> Action:
    """Delete instances (their data is lost)."""
    return api_action(lambda api: inst.delete_instances(api, instance_ids))


@instances.command("wait")
@click.argument("instance_ids", nargs=-1, required=True, metavar="INSTANCE_ID...")
@click.option(
    "--status",
    default="running",
    show_default=True,
    type=click.Choice([s.value for s in InstanceStatus]),
)
@_wait_options
@shared_options
@click.pass_context
def instances_wait(
    ctx: click.Context,
    /,
    instance_ids: tuple[str, ...],
    status: str,
    timeout: float,
    interval: float | None,
) -> Action:
    """Wait until instances have a status."""
    settings = ctx.ensure_object(Settings)
    options = inst.WaitOptions(timeout, settings.poll_interval(interval))
    return api_action(lambda api: inst.wait_instances(api, instance_ids, status, options))


@cli.group(context_settings=_CONTEXT)
def snapshots() -> None:
    """List, take and restore instance snapshots."""


@snapshots.command("list")
@click.argument("instance_ids", nargs=-1, required=True, metavar="INSTANCE_ID...")
@click.option("--date", metavar="YYYY-MM-DD", help="The day (default: today, UTC).")
@shared_options
def snapshots_list(instance_ids: tuple[str, ...], date: str | None) -> Action:
    """List instances' snapshots of one day."""
    return api_action(lambda api: other.list_snapshots(api, instance_ids, date))


@snapshots.command("create")
@click.argument("instance_ids", nargs=-1, required=True, metavar="INSTANCE_ID...")
@click.option("--wait", is_flag=True, help="Wait until the snapshots are completed.")
@_wait_options
@shared_options
@click.pass_context
def snapshots_create(ctx: click.Context, /, instance_ids: tuple[str, ...], **wait: Any) -> Action:
    """Take an on-demand snapshot of each instance."""
    options = _wait_of(ctx, **wait)
    return api_action(lambda api: other.create_snapshots(api, instance_ids, options))


@snapshots.command("restore")
@click.argument("instance_id")
@click.argument("snapshot_id")
@click.option("--wait", is_flag=True, help="Wait until the instance is running again.")
@_wait_options
@shared_options
@click.pass_context
def snapshots_restore(
    ctx: click.Context, /, instance_id: str, snapshot_id: str, **wait: Any
) -> Action:
    """Restore an instance from one of its snapshots (its current data is replaced)."""
    options = _wait_of(ctx, **wait)
    return api_action(lambda api: other.restore_snapshot(api, instance_id, snapshot_id, options))


@cli.command("demo")
@click.option(
    "--instances",
    "fleet_size",
    type=click.IntRange(1, 40),
    default=12,
    show_default=True,
    help="How many instances the demo creates.",
)
@shared_options
def demo(fleet_size: int) -> Action:
    """Watch the SDK manage a fleet on an embedded emulator (no Aura account needed)."""
    from aura_async.cli._demo import demo_action

    return demo_action(fleet_size)


@cli.command("emulator")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port on 127.0.0.1; 0 picks a free one.",
)
@shared_options
def emulator(port: int) -> Action:
    """Keep an emulator running until Ctrl-C; prints export lines that point commands at it.

    It has a demo project with three running instances, like --emulator, but its
    state lasts across commands.
    """
    from aura_async.cli._emulator import emulator_action

    return emulator_action(port)
