"""The admin API key of a local machine (``make run``, benchmarks): ``GRAPHCDP_ADMIN_KEY`` when
set, else one made once and kept in the state directory (``.stack/admin-key``, mode 0600), so
every local process shares one bootstrap key instead of adding one per run."""

from __future__ import annotations

import os
import secrets

from graphcdp.settings import Settings


def local_admin_key(settings: Settings) -> str:
    if settings.admin_key:
        return settings.admin_key
    path = settings.state_dir / "admin-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("gcdp_" + secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()
