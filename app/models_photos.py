"""Photos of a case (re-exported by app.models): the agency's proof with its report, or a reporter's own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, BigId, UTCDateTime


class CasePhoto(Base):
    """One stored photo: the files live in the photo storage under `image_key` and `thumb_key`, re-encoded
    without EXIF; where and when it was taken (from its EXIF, if the phone wrote it) is kept here as data."""

    __tablename__ = "case_photos"
    __table_args__ = (Index("ix_case_photos_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # The event it came with (the agency's case_reported); NULL for a reporter's photo sent without one.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # app.vocabulary.PhotoSource
    image_key: Mapped[str] = mapped_column(String(200), unique=True)
    thumb_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    byte_size: Mapped[int] = mapped_column(Integer)  # of the stored image, not of the upload
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumb_width: Mapped[int] = mapped_column(Integer)
    thumb_height: Mapped[int] = mapped_column(Integer)
    gps_latitude: Mapped[float | None] = mapped_column(Float)
    gps_longitude: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
