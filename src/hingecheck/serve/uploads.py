"""A lifter's upload: streamed to disk in chunks (never held in memory), capped in size,
stored under a generated name and checked as a video the way `analyze` checks one."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import Field, File, FormParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from hingecheck.errors import InputError
from hingecheck.video.source import VIDEO_SUFFIXES, check_video_path, probe

# The container a phone names by type when the file name has no usable suffix.
_SUFFIX_OF_TYPE = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/x-m4v": ".m4v",
    "video/avi": ".avi",
    "video/x-msvideo": ".avi",
}
MAX_FIELD_BYTES = 8192
_FLUSH = 1 << 20  # bytes handed to the parser (and the disk) per thread hop


class UploadError(Exception):
    """An upload refused, with the message the lifter reads and an HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """The parsed form: text fields and the stored video (under its generated name)."""

    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    original_name: str = ""
    content_type: str = ""
    size: int = 0
    duration_s: float = 0.0


def new_public_id() -> str:
    return uuid.uuid4().hex


async def receive_upload(
    request: Request, incoming: Path, uploads: Path, max_bytes: int, public_id: str
) -> Upload:
    """Parse a multipart upload into `uploads/<public_id><suffix>` (raises UploadError)."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise UploadError("send the video as a form upload (multipart/form-data)")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes + 65536:
        raise UploadError(_too_big(max_bytes), 413)
    got = Upload()
    files: list[File] = []
    # Each upload streams into its own folder, removed whatever happens: a dropped connection
    # leaves no partial file behind.
    work = incoming / public_id
    work.mkdir(parents=True, exist_ok=False)
    try:
        return await _receive(request, work, uploads, max_bytes, public_id, params, got, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _receive(
    request: Request,
    work: Path,
    uploads: Path,
    max_bytes: int,
    public_id: str,
    params: dict[bytes, bytes],
    got: Upload,
    files: list[File],
) -> Upload:

    def on_field(f: Field) -> None:
        name = (f.field_name or b"").decode("utf-8", "replace")
        got.fields[name] = (f.value or b"").decode("utf-8", "replace")

    def on_file(f: File) -> None:
        files.append(f)

    config = {
        "UPLOAD_DIR": str(work),
        "UPLOAD_DELETE_TMP": False,
        "MAX_MEMORY_FILE_SIZE": 0,  # straight to disk, chunk by chunk
        "MAX_FIELD_SIZE": MAX_FIELD_BYTES,
        "MAX_FIELDS": 20,
    }
    parser = FormParser(
        "multipart/form-data",
        on_field,
        on_file,
        boundary=params[b"boundary"],
        config=config,
    )
    total, buf = 0, bytearray()
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > max_bytes + 65536:  # room for the form's other fields and headers
                raise UploadError(_too_big(max_bytes), 413)
            buf += chunk
            if len(buf) >= _FLUSH:
                await run_in_threadpool(parser.write, bytes(buf))
                buf.clear()
        await run_in_threadpool(parser.write, bytes(buf))
        await run_in_threadpool(parser.finalize)
    except UploadError:
        _discard(files)
        raise
    except Exception as exc:  # noqa: BLE001 - a broken form or a dropped connection
        _discard(files)
        raise UploadError(f"the upload did not arrive whole ({type(exc).__name__})") from None
    # The page has two file inputs (record, pick): the one that holds a file counts.
    videos = [f for f in files if f.field_name == b"video" and f.size]
    _discard([f for f in files if f not in videos[:1]])
    if not videos:
        raise UploadError("no video in the upload: pick or record one first")
    f = videos[0]
    got.original_name = Path((f.file_name or b"video").decode("utf-8", "replace")).name[:200]
    got.size = int(f.size)
    if got.size > max_bytes:
        _discard(videos)
        raise UploadError(_too_big(max_bytes), 413)
    suffix = _suffix(got.original_name, getattr(f, "content_type", None) or "")
    tmp = _disk_path(f)
    if suffix is None:
        _discard(videos)
        raise UploadError(f"{got.original_name}: not a video (use {video_types()})", 415)
    final = uploads / f"{public_id}{suffix}"
    os.replace(tmp, final)  # the upload's own, generated name: the user's name is only shown
    got.path = final
    return got


def check_video(path: Path) -> float:
    """The checks `analyze` makes before any work; returns the video's length (s)."""
    check_video_path(path)
    info = probe(path)
    if info.frames < 2 or info.duration_s <= 0:
        raise InputError("the file holds no moving picture: not a video of a set")
    return float(info.duration_s)


def _suffix(name: str, declared_type: str) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return suffix
    return _SUFFIX_OF_TYPE.get(declared_type.lower().split(";")[0].strip())


def _disk_path(f: File) -> Path:
    if f.in_memory:
        f.flush_to_disk()
    f.file_object.close()
    name = f.actual_file_name
    assert name is not None
    return Path(os.fsdecode(name))


def _discard(files: list[File]) -> None:
    for f in files:
        try:
            f.file_object.close()
            if f.actual_file_name:
                Path(os.fsdecode(f.actual_file_name)).unlink(missing_ok=True)
        except OSError:
            pass


def _too_big(max_bytes: int) -> str:
    return f"the video is larger than this server takes ({max_bytes / 1e6:.0f} MB)"


def video_types() -> str:
    """The video file types accepted, as the messages list them."""
    return ", ".join(sorted(VIDEO_SUFFIXES))
