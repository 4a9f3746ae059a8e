"""``graphcdp stack up | down | status``: the servers one after another, with readiness checks."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from graphcdp.settings import PREFIX, Settings
from stack.maven import MavenError
from stack.process import ProcessError, port_open, rss_mb
from stack.servers import Server, servers

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class StackError(RuntimeError):
    """A server of the stack could not be started; the message names it and shows its log."""


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    pid: int | None
    ready: bool
    rss_mb: float | None

    def line(self) -> str:
        state = "ready" if self.ready else ("starting" if self.pid else "stopped")
        pid = str(self.pid) if self.pid else "-"
        rss = f"{self.rss_mb:.0f} MiB" if self.rss_mb else "-"
        return f"{self.name:<11} {self.address:<22} pid {pid:<8} {state:<8} rss {rss}"


def up(settings: Settings, only: tuple[str, ...] = ()) -> list[ServerStatus]:
    """Start every server that is not running, one after another; idempotent. A server the
    settings turn off (OpenSearch with ``GRAPHCDP_OPENSEARCH_URL=none``) is left alone.

    Raises:
        StackError: a server failed to start or to become ready; names it, with its log tail.
    """
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    for server in _selected(settings, only):
        _up_one(server)
    return status(settings, only)


def _up_one(server: Server) -> None:
    address = f"{server.host}:{server.port}"
    if server.host not in LOCAL_HOSTS:
        raise StackError(f"{server.name}: its setting points at {address}, not at this machine")
    managed = server.managed
    started = time.monotonic()
    if managed.pid() is None:
        if port_open(server.host, server.port):
            if _quietly(server.ready):
                print(
                    f"  {server.name:<11} already answering on {address} (not started by us)",
                    file=sys.stderr,
                )
                return
            raise StackError(f"{server.name}: port {address} is taken by another program")
        server.home.mkdir(parents=True, exist_ok=True)
        try:
            argv = server.prepare()
            managed.start(argv)
        except (MavenError, ProcessError, OSError) as err:
            raise StackError(f"{server.name} failed to start: {err}") from err
        action = "started"
    else:
        action = "running"
    try:
        managed.wait_ready(server.ready, server.timeout)
        server.after_start()
    except ProcessError as err:
        if action == "started":  # never stop a server this call did not start
            managed.stop(timeout=20)
        raise StackError(f"{server.name} failed to start: {err}") from err
    took = time.monotonic() - started
    extra = f" ({server.notes})" if server.notes else ""
    print(
        f"  {server.name:<11} {action} on {address}, ready in {took:.1f} s{extra}", file=sys.stderr
    )


def down(settings: Settings, only: tuple[str, ...] = ()) -> None:
    """Stop the servers in reverse start order (SIGTERM, then SIGKILL after a grace time)."""
    for server in reversed(_selected(settings, only, configured=False)):
        stopped = server.managed.stop()
        print(f"  {server.name:<11} {'stopped' if stopped else 'not running'}", file=sys.stderr)


def status(settings: Settings, only: tuple[str, ...] = ()) -> list[ServerStatus]:
    """Each server with its address, pid, readiness and resident memory."""
    rows = []
    for server in _selected(settings, only):
        pid = server.managed.pid()
        rows.append(
            ServerStatus(
                name=server.name,
                address=f"{server.host}:{server.port}",
                pid=pid,
                ready=_quietly(server.ready),
                rss_mb=rss_mb(pid) if pid else None,
            )
        )
    return rows


def _selected(
    settings: Settings, only: tuple[str, ...], *, configured: bool = True
) -> list[Server]:
    """The servers named (all without ``only``); with ``configured``, without those the
    settings turn off (stopping still reaches them, in case one runs from before)."""
    chosen = servers(settings)
    unknown = set(only) - {s.name for s in chosen}
    if unknown:
        raise StackError(f"unknown server(s): {', '.join(sorted(unknown))}")
    picked = [s for s in chosen if not only or s.name in only]
    if not configured:
        return picked
    off = [s.name for s in picked if not _in_use(settings, s.name)]
    if only and off:
        raise StackError(f"{', '.join(off)}: turned off by the settings ({PREFIX}OPENSEARCH_URL)")
    return [s for s in picked if s.name not in off]


def _in_use(settings: Settings, name: str) -> bool:
    return name != "opensearch" or settings.opensearch_url is not None


def _quietly(check: object) -> bool:
    try:
        return bool(check())  # type: ignore[operator]
    except Exception:
        return False
