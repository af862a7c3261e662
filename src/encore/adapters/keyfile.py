"""The instance's master secret: generated on first start, kept in the data directory."""

import os
import secrets
import tempfile
from pathlib import Path

SECRET_FILE = "secret.key"  # noqa: S105 (a file name)


def load_or_create_secret(data_dir: Path) -> bytes:
    """The 32-byte secret in `data_dir/secret.key`, created (mode 0600) when missing.

    The new secret is written in full to a temporary file and then hard-linked into place, which
    fails if the file exists: two processes starting at once agree on one complete secret.
    """
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".secret-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text().strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = text.encode()
    if len(secret) < 32:
        raise ValueError(f"{path} holds no usable secret (32 bytes or more); replace or delete it")
    return secret
