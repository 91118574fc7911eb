"""Secrets kept in files of their own: created on first use, readable by their owner only."""

import os
import secrets
from pathlib import Path


def load_or_create(path: Path, nbytes: int = 32) -> str:
    """The secret in `path`; if there is none yet, a new random one written with mode 0600.

    The secret is written to a file of its own first and linked into place in one step, so a
    process starting at the same moment reads the whole secret or makes its own attempt: never
    a file that exists but is still empty. The first link wins; a loser reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(nbytes)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret)
    try:
        os.link(draft, path)  # fails if another process linked its secret first
    except FileExistsError:
        secret = path.read_text().strip()
    finally:
        draft.unlink()
    return secret
