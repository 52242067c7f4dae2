"""Photos people upload (the residents' online form, a department's answer): at most three, each ≤ 5 MB and JPEG or
PNG by its content, whatever its name or declared type says. One check, one set of Chinese reasons."""
from __future__ import annotations

from . import domain


def checked(uploads) -> tuple[list[tuple[str, bytes, str]], str | None]:
    """The chosen files as (name, bytes, media type), or no photos and the Chinese reason to show beside the field."""
    files = [f for f in (uploads or []) if getattr(f, "filename", "")]
    if len(files) > domain.MAX_PHOTOS:
        return [], f"最多上传 {domain.MAX_PHOTOS} 张照片"
    photos = []
    for upload in files:
        try:
            body = upload.read(domain.MAX_PHOTO_BYTES + 1)
        finally:
            upload.close()  # a large upload is spooled to a temporary file: give it back now
        name = (upload.filename or "photo")[-100:]
        if len(body) > domain.MAX_PHOTO_BYTES:
            return [], f"照片“{name}”超过 5 MB，请压缩后重新选择"
        media_type = domain.photo_media_type(body[:16])
        if media_type is None:
            return [], f"“{name}”不是 JPG 或 PNG 照片，请重新选择"
        photos.append((name, body, media_type))
    return photos, None
