"""The progress bar shown on stderr while frames are processed (frames per second, time left)."""

from __future__ import annotations

from tqdm import tqdm


def frame_bar(total: int | None, desc: str, enabled: bool) -> tqdm:
    """A bar counting frames; gone from the terminal once done. Disabled: a no-op bar."""
    return tqdm(
        total=total or None,
        unit="frame",
        desc=desc,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
    )
