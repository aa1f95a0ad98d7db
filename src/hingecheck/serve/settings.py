"""What the server is started with, and where it keeps things in its data folder."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hingecheck.errors import InputError
from hingecheck.serve.auth import Limits

if TYPE_CHECKING:
    from hingecheck.serve.store import SetRow

MB = 1_000_000


def default_data_dir() -> Path:
    """The user's data folder for hingecheck (e.g. ~/.local/share/hingecheck/serve)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("hingecheck", appauthor=False)) / "serve"


@dataclass(frozen=True)
class Settings:
    """The server's options (the CLI's flags)."""

    data: Path
    max_upload_bytes: int = 1024 * MB  # a 200 MB phone video gets through with room to spare
    workers: int | None = None
    ray_address: str | None = None
    config_path: Path | None = None  # a TOML of thresholds for every analysis
    https_cookies: bool = False  # behind a TLS proxy: the session cookie only over HTTPS
    public_url: str | None = None  # the base of the lifters' links (default: as requested)
    limits: Limits = field(default_factory=Limits)

    @property
    def db_path(self) -> Path:
        return self.data / "hingecheck.sqlite3"

    @property
    def uploads(self) -> Path:
        """The uploaded videos, under generated names."""
        return self.data / "uploads"

    @property
    def results(self) -> Path:
        """Each set's outputs (report, review page, annotated video) in a folder of its own."""
        return self.data / "results"

    def set_folder(self, public_id: str) -> Path:
        """Where the analysis of the set `public_id` writes its outputs."""
        return self.results / public_id

    def result_path(self, row: SetRow, key: str) -> Path:
        """One output of the set, by its key in outputs.registry ("json": the report)."""
        from hingecheck.outputs.registry import output

        return output(key).path_for(self.set_folder(row.public_id), row.stem)

    @property
    def incoming(self) -> Path:
        """Uploads still arriving (a folder per upload, removed when it ends)."""
        return self.data / "incoming"


def prepare_data_dir(settings: Settings) -> str:
    """Create the data folder and its parts (private to the user); returns the session secret,
    made on the first start and kept in the folder. Raises InputError if it can't be written."""
    try:
        for d in (settings.data, settings.uploads, settings.results, settings.incoming):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = settings.data / "secret.key"
        if not key.exists():
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        secret = key.read_text("utf-8").strip()
    except OSError as exc:
        reason = exc.strerror or exc
        raise InputError(f"cannot use {settings.data} as the data folder: {reason}") from None
    if len(secret) < 32:
        raise InputError(f"{key} is damaged (too short): delete it to make a new one")
    return secret
