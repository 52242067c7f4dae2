"""Photos attached to matters: stored once per grid and content, read back only within a caller's grids."""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select

from wangge_common import clock
from wangge_common.errors import Invalid

from .. import domain
from ..models import Attachment, KnownGrid


def store_attachment(session, grid_id: str, name: str, body: bytes, uploaded_by: str) -> tuple[Attachment, bool]:
    """Keep a photo; the same content for the same grid is the same attachment (a retried upload stores nothing)."""
    media_type = domain.photo_media_type(body)
    problems = []
    if media_type is None:
        problems.append(("body", "only JPEG or PNG photos are accepted (checked by content)"))
    if len(body) > domain.ATTACHMENT_MAX_BYTES:
        problems.append(("body", f"a photo is at most {domain.ATTACHMENT_MAX_BYTES} bytes"))
    if session.get(KnownGrid, grid_id) is None:
        problems.append(("grid_id", f"no grid {grid_id}"))
    if problems:
        raise Invalid(problems)
    digest = hashlib.sha256(body).hexdigest()
    found = session.scalar(select(Attachment).where(Attachment.grid_id == grid_id, Attachment.sha256 == digest))
    if found is not None:
        return found, False
    attachment = Attachment(id=str(uuid.uuid4()), grid_id=grid_id, sha256=digest, media_type=media_type,
                            size=len(body), name=name, body=body, uploaded_by=uploaded_by,
                            created_at=clock.now())
    session.add(attachment)
    return attachment, True


