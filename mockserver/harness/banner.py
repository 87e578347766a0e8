"""What `mockserver serve` prints on start: where the console is, how to authenticate, which data is loaded."""

from __future__ import annotations

from pathlib import Path

from mockserver.control import overview
from mockserver.control.browser import CONSOLE_PATH
from mockserver.core.latency import describe
from mockserver.harness.server import listening

REFERENCE = CONSOLE_PATH + "#/reference"
"""The console's API reference."""
SHOWN = 4
"""Credentials listed per family before the rest are only counted."""
INDENT = " " * 17


def browsable(host: str) -> str:
    """The host a browser on this machine reaches a server listening on `host` at."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def render(runtime, host: str, port: int, server: str) -> str:
    """A short block: the line of where it listens (as before), then console, API reference, auth, data, latency."""
    config = runtime.config
    base = f"http://{browsable(host)}:{port}"
    families = overview.credentials(runtime)
    lines = [listening(host, port, server, config.auth),
             f"  console        {base}{CONSOLE_PATH}",
             f"  API reference  {base}{REFERENCE}"]
    if config.auth == "open":
        lines.append("  auth           open: any bearer token, Heidi any API key (each its own tenant)")
        lines += _table({name: _header(info, "any ") for name, info in families.items()})
        lines.append(f"{INDENT}admin API and console: open")
    else:
        lines.append(f"  auth           strict: only the credentials of {Path(config.tenants_file).name}")
        lines += _table({name: _header(info) for name, info in families.items()},
                        {name: _listed(info["configured"]) for name, info in families.items()})
        admins = len(runtime.admin.tokens)
        lines += [f"{INDENT}admin API and console: an admin token ({admins} configured), as Authorization: Bearer "
                  "or signed in on the console"] if admins else [
            f"{INDENT}admin API and console: closed, as no admin token is configured:",
            f'{INDENT}  start with --admin-token TOKEN, or list "admin_tokens" in the tenants file']
    lines.append(_data_line(config))
    held = {name: _listed(info["data"]) for name, info in families.items() if info["data"]}
    lines += _table(held)
    if config.snapshot:
        every = f"every {config.snapshot_seconds:g} s when it changed and " if config.snapshot_seconds else ""
        lines.append(f"  snapshot       {config.snapshot}: written {every}on Ctrl-C; a reset returns to the start "
                     "data, not to it")
    if config.store:
        lines.append(f"  store          {runtime.store.link.where()}: every worker and host on this URL serves one "
                     "world, kept across restarts")
    low, high = runtime.latency.range
    if high:
        lines.append(f"  latency        {describe(low, high)} on every vendor answer")
    return "\n".join(lines)


def _header(info: dict, any_: str = "") -> str:
    return info["header"].format(token=f"<{any_}token>", api_key=f"<{any_}API key>")


def _table(first: dict[str, str], second: dict[str, str] | None = None) -> list[str]:
    if not first:
        return []
    name_width = max(map(len, first))
    value_width = max(map(len, first.values()))
    return [f"{INDENT}  {name:<{name_width}}  " + (f"{value:<{value_width}}  {second[name]}" if second else value)
            for name, value in first.items()]


def _data_line(config) -> str:
    if config.snapshot and Path(config.snapshot).exists():  # create_app loaded it, over any start data
        return f"  data           {config.snapshot} (--snapshot: as the last run left it), credentials in it:"
    if config.fixtures:
        return f"  data           {config.fixtures} (--fixtures), credentials in it:"
    if config.state_file:
        return f"  data           {config.state_file} (--state), credentials in it:"
    return "  data           none, empty (--fixtures demo starts with a synthetic practice)"


def _listed(values: list[str]) -> str:
    if not values:
        return "(none)"
    more = len(values) - SHOWN
    return ", ".join(values[:SHOWN]) + (f" and {more} more" if more > 0 else "")
