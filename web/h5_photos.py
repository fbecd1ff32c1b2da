"""Photos a resident uploads on 随手拍 outside WeChat: checked by their bytes, kept in our own store.

A file is a photo only if its first bytes say JPEG, PNG, GIF or WEBP (the name and the browser's type are
not believed), and only up to MEDIA_MAX_BYTES; it is written 0600 into DATA_DIR/media/h5/ under a random
name, so the dashboard and the case page serve it back with a type from storage.media.SERVED_TYPES. A
JPEG's EXIF GPS position is read when present: a hint for the place, never trusted over a location the
resident shared.
"""
from __future__ import annotations

import os
import secrets
import struct
from pathlib import Path

from storage.db import private_dir

MAGIC = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"GIF87a", ".gif"), (b"GIF89a", ".gif"))
MAX_PHOTOS = 6


def photo_suffix(head: bytes) -> str | None:
    """The suffix of a photo type we keep, from the file's first bytes; None for anything else."""
    for magic, suffix in MAGIC:
        if head.startswith(magic):
            return suffix
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    return None


def store(root: Path, content: bytes, suffix: str) -> Path:
    folder = root / "h5"
    private_dir(folder)
    path = folder / f"{secrets.token_hex(12)}{suffix}"
    with os.fdopen(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600), "wb") as file:
        file.write(content)
    return path


def exif_position(jpeg: bytes) -> tuple[float, float] | None:
    """(lat, lng) from a JPEG's EXIF GPS tags, or None (no EXIF, no GPS, or anything malformed)."""
    try:
        return _exif_position(jpeg)
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None


def _exif_position(data: bytes) -> tuple[float, float] | None:
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker, size = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker == 0xE1 and data[at + 4:at + 10] == b"Exif\x00\x00":
            return _gps(data[at + 10:at + 2 + size])
        if marker == 0xDA:
            return None
        at += 2 + size
    return None


def _gps(tiff: bytes) -> tuple[float, float] | None:
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    first = struct.unpack(order + "I", tiff[4:8])[0]
    gps_at = _tags(tiff, order, first).get(0x8825)
    if gps_at is None:
        return None
    tags = _tags(tiff, order, gps_at[1])
    if not all(k in tags for k in (1, 2, 3, 4)):
        return None
    lat, lng = _degrees(tiff, order, tags[2]), _degrees(tiff, order, tags[4])
    lat = -lat if _ascii(tiff, tags[1]) == "S" else lat
    lng = -lng if _ascii(tiff, tags[3]) == "W" else lng
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None
    return lat, lng


def _tags(tiff: bytes, order: str, offset: int) -> dict[int, tuple[int, int, int, bytes]]:
    """tag -> (type, value-or-offset, count, raw 4 bytes) of one IFD."""
    count = struct.unpack(order + "H", tiff[offset:offset + 2])[0]
    found = {}
    for n in range(min(count, 256)):
        entry = tiff[offset + 2 + 12 * n: offset + 14 + 12 * n]
        tag, kind, items = struct.unpack(order + "HHI", entry[:8])
        found[tag] = (kind, struct.unpack(order + "I", entry[8:12])[0], items, entry[8:12])
    return found


def _degrees(tiff: bytes, order: str, tag) -> float:
    offset = tag[1]
    d, m, s = (struct.unpack(order + "II", tiff[offset + 8 * i: offset + 8 * i + 8]) for i in range(3))
    return d[0] / d[1] + m[0] / m[1] / 60 + s[0] / s[1] / 3600


def _ascii(tiff: bytes, tag) -> str:
    return tag[3][:1].decode("ascii", "replace")
