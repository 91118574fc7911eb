"""Secrets kept in files of their own: created on first use, readable by their owner only."""

import os
import secrets
from pathlib import Path


def load_or_create(path: Path, nbytes: int = 32) -> str:
    """The secret in `path`; if there is none yet, a new random one written with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    secret = secrets.token_urlsafe(nbytes)
    with os.fdopen(fd, "w") as f:
        f.write(secret)
    return secret
