"""Secrets a one-machine install generates for itself, once, under var/ (readable by its owner only).

Every process of the product reads the same file, and a restart keeps the value; a deployment sets the
matching JIUZHU_* variable from its secret store instead (README "Security").
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Optional

from bot.settings import PROJECT_ROOT

VAR_DIR = PROJECT_ROOT / "var"


def kept_secret(name: str, directory: Optional[Path] = None) -> str:
    """The secret in `directory/name` (default var/), generated (256 random bits, hex) the first time."""
    path = (directory or VAR_DIR) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole, then linked into place: processes starting at once all end up with one secret.
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text(encoding="utf-8").strip()


def shown(secret: str) -> str:
    """A secret as a log or banner may show it: enough to tell two apart, never enough to use."""
    return f"{secret[:4]}…（{len(secret)} 位）" if len(secret) > 8 else "…"
