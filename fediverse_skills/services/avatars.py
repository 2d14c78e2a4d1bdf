"""Avatar uploads: size-capped, decoded and re-encoded, stored under a generated name.

Re-encoding (Pillow) means what we serve is always an image we made: metadata such as
GPS positions is dropped, and a file that only pretends to be an image is refused.
"""

from __future__ import annotations

import asyncio
import io
import secrets
from datetime import UTC, datetime

from PIL import Image, UnidentifiedImageError

from ..store import media, users
from ..store.users import User
from .context import Federation
from .profiles import queue_actor_update

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
SIZE = 400  # the stored avatar is at most SIZE x SIZE
ACCEPTED = {"PNG", "JPEG", "GIF", "WEBP"}


class InvalidAvatar(ValueError):
    """The upload is not an acceptable image; the message says why."""


def _reencode(data: bytes) -> bytes:
    if len(data) > MAX_BYTES:
        raise InvalidAvatar("The image is larger than 2 MB.")
    if not data:
        raise InvalidAvatar("The file is empty.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED:
                raise InvalidAvatar("Upload a PNG, JPEG, GIF or WebP image.")
            width, height = image.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise InvalidAvatar("The image has too many pixels.")
            image.seek(0)
            frame = image.convert("RGBA")
    except InvalidAvatar:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InvalidAvatar("That file is not an image we can read.") from None
    side = min(frame.size)
    left = (frame.width - side) // 2
    top = (frame.height - side) // 2
    square = frame.crop((left, top, left + side, top + side))
    if side > SIZE:
        square = square.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return out.getvalue()


async def upload(fed: Federation, user: User, data: bytes) -> User:
    """Re-encode ``data`` and make it the user's avatar. Raises InvalidAvatar."""
    png = await asyncio.to_thread(_reencode, data)
    name = f"{secrets.token_hex(16)}.png"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        await media.add(
            conn, name=name, user_id=user.id, content_type="image/png", data=png, now=now
        )
        updated = await users.update_profile(conn, user.id, avatar=name)
        assert updated is not None
        if user.avatar:
            await media.remove(conn, user.avatar)
        await queue_actor_update(fed, conn, updated, now)
    return updated


async def get(fed: Federation, name: str) -> tuple[str, bytes] | None:
    if len(name) > 80:
        return None
    async with fed.db.connection() as conn:
        return await media.get(conn, name)
