"""Keys of a local machine, each made once and kept in the state directory (mode 0600) unless
its setting is given.

The admin API key of a local machine (``make run``, benchmarks): ``GRAPHCDP_ADMIN_KEY`` when
set, else one made once and kept in the state directory (``.stack/admin-key``, mode 0600), so
every local process shares one bootstrap key instead of adding one per run."""

from __future__ import annotations

import os
import secrets

from graphcdp.settings import Settings


def local_admin_key(settings: Settings) -> str:
    if settings.admin_key:
        return settings.admin_key
    return _kept(settings, "admin-key", "gcdp_")


def privacy_key(settings: Settings) -> bytes:
    """The HMAC key of suppression hashes (privacy.suppression): ``GRAPHCDP_PRIVACY_KEY``,
    else ``.stack/privacy-key``. Every process of a deployment must share it, or erased
    people come back through the processes that hash differently."""
    return (settings.privacy_key or _kept(settings, "privacy-key", "")).encode()


def _kept(settings: Settings, name: str, prefix: str) -> str:
    """The key in ``state_dir/name``, made first if missing: written whole to a temporary file
    and linked into place, so a process racing this one reads the winner's full key."""
    path = settings.state_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(prefix + secrets.token_urlsafe(32) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
    return path.read_text().strip()
