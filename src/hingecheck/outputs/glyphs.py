"""Overlay text drawn with a real TrueType font, so every character prints as it should
(OpenCV's Hershey fonts have no degree sign, and their strokes blur into specks when a phone
shrinks a video).

The font is DejaVu Sans Bold as matplotlib ships it (mediapipe installs matplotlib), else the
system's copy, else Pillow's own bundled font. Each piece of text is rendered once into a small
sprite (colour and coverage) and blended into the frames where it appears; the few hundred
distinct strings of a video ("hip 97°", "Rep 3/10") are cached.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Color = tuple[int, int, int]
_FONT_FILE = "DejaVuSans-Bold.ttf"


@functools.lru_cache(maxsize=1)
def font_path() -> Path | None:
    """The TrueType file used, or None when only Pillow's built-in font is left."""
    found = []
    spec = importlib.util.find_spec("matplotlib")  # located, not imported: only its data is read
    if spec is not None and spec.origin:
        found.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / _FONT_FILE)
    found.append(Path("/usr/share/fonts/truetype/dejavu") / _FONT_FILE)
    return next((p for p in found if p.is_file()), None)


@functools.lru_cache(maxsize=32)
def font(px: int) -> ImageFont.FreeTypeFont:
    """The overlay font at a size of `px` pixels (the em height)."""
    path = font_path()
    if path is None:
        return ImageFont.load_default(size=px)  # type: ignore[return-value]
    return ImageFont.truetype(str(path), px)


@functools.lru_cache(maxsize=4096)
def text_size(text: str, px: int) -> tuple[int, int]:
    """(width, height) in pixels of `text` drawn at `px`. The height is the font's line
    height, the same for every string, so labels of one size line up."""
    f = font(px)
    ascent, descent = f.getmetrics()
    return int(np.ceil(f.getlength(text))), ascent + descent


@dataclass(frozen=True)
class Sprite:
    """Rendered text: straight colour and coverage, ready to blend."""

    rgb: np.ndarray  # (h, w, 3) float32
    alpha: np.ndarray  # (h, w, 1) float32 in 0..1

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.alpha.shape[1], self.alpha.shape[0]


@functools.lru_cache(maxsize=4096)
def sprite(text: str, px: int, color: Color) -> Sprite:
    """`text` in `color` at `px` (no outline: a rim would fill the ring of a '°')."""
    w, h = text_size(text, px)
    im = Image.new("RGBA", (max(w, 1), h), (*color, 0))
    ImageDraw.Draw(im).text((0, 0), text, font=font(px), fill=(*color, 255))
    a = np.asarray(im, dtype=np.float32) / 255.0
    return Sprite(rgb=a[..., :3] * 255.0, alpha=a[..., 3:])


def blit(img: np.ndarray, sp: Sprite, x: int, y: int) -> None:
    """Blend a sprite into an RGB uint8 image with its top-left corner at (x, y) (clipped)."""
    h, w = img.shape[:2]
    sw, sh = sp.size
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + sw), min(h, y + sh)
    if x1 <= x0 or y1 <= y0:
        return
    a = sp.alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    src = sp.rgb[y0 - y : y1 - y, x0 - x : x1 - x]
    roi = img[y0:y1, x0:x1]
    roi[:] = (roi * (1.0 - a) + src * a + 0.5).astype(np.uint8)


def draw_text(img: np.ndarray, text: str, x: int, y: int, px: int, color: Color) -> tuple[int, int]:
    """Draw text with its top-left at (x, y); returns its size."""
    sp = sprite(text, px, color)
    blit(img, sp, x, y)
    return sp.size


def fit_px(text: str, px: int, max_width: int, least: int = 8) -> int:
    """The largest size <= px (and >= least) at which `text` fits `max_width` pixels."""
    while px > least and text_size(text, px)[0] > max_width:
        px -= 1
    return px


def wrap(text: str, px: int, max_width: int) -> list[str]:
    """Greedy word wrap to lines at most `max_width` pixels wide (a too-long word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and text_size(trial, px)[0] <= max_width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines
