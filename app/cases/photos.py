"""Photos of a case: checked, decoded and re-encoded (so nothing but pixels is stored), written to the file
storage with a thumbnail, and recorded as `case_photos` rows in the caller's transaction.

EXIF is read once, for the photo's place and time (kept as data on the row), and never written back: the
stored image and its thumbnail carry no metadata. The orientation EXIF gives is applied to the pixels first,
or a phone's portrait photo would come out sideways.
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor, may_see
from app.errors import N_, InvalidInput, NotFound, TooLarge
from app.models import Case, CaseEvent, CasePhoto
from app.storage import FileStorage
from app.vocabulary import PhotoSource

register_heif_opener()  # HEIC from iPhones: Pillow itself reads JPEG and PNG only of these

MAX_PHOTOS = 5
MAX_BYTES = 10 * 1024 * 1024  # per photo, as uploaded
MAX_PIXELS = 64_000_000  # a 48-megapixel phone camera fits; a decompression bomb does not
FORMATS = ("JPEG", "PNG", "HEIF")
LONGEST_SIDE = 4096  # the stored image; a 4032×3024 photo is kept as it is
THUMB_SIDE = 320
JPEG_QUALITY, THUMB_QUALITY = 85, 75
CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True)
class Upload:
    """A file as sent: its name (for messages only, never stored) and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Prepared:
    """A photo ready to store: re-encoded image and thumbnail, and what its EXIF said."""

    image: bytes
    thumb: bytes
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    latitude: float | None
    longitude: float | None
    taken_at: datetime | None


@dataclass(frozen=True)
class Stored:
    prepared: Prepared
    image_key: str
    thumb_key: str


def prepare(uploads: Sequence[Upload], *, tz: ZoneInfo) -> list[Prepared]:
    """Check and re-encode every upload, or refuse them all: too many or not an image (422), too big (413)."""
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput(
            "photo.too_many", fields={"photos": [N_("photo.too_many")]}, most=MAX_PHOTOS, given=len(uploads)
        )
    for upload in uploads:
        if len(upload.data) > MAX_BYTES:
            raise TooLarge(
                "photo.too_large",
                fields={"photos": [N_("photo.too_large")]},
                name=upload.filename,
                most_mb=MAX_BYTES // (1024 * 1024),
            )
    return [_prepare_one(upload, tz) for upload in uploads]


def _not_an_image(upload: Upload) -> InvalidInput:
    return InvalidInput("photo.not_an_image", fields={"photos": [N_("photo.not_an_image")]}, name=upload.filename)


def _prepare_one(upload: Upload, tz: ZoneInfo) -> Prepared:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(upload.data), formats=FORMATS)
            if source.width * source.height > MAX_PIXELS:
                raise _not_an_image(upload)
            exif = source.getexif()
            source.load()  # decode now: a truncated or corrupt file fails here, not half-way through saving
            upright = ImageOps.exif_transpose(source)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise _not_an_image(upload) from error
    picture = _rgb(upright)
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    thumb = picture.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    latitude, longitude = _gps(exif)
    return Prepared(
        image=_jpeg(picture, JPEG_QUALITY),
        thumb=_jpeg(thumb, THUMB_QUALITY),
        width=picture.width,
        height=picture.height,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        latitude=latitude,
        longitude=longitude,
        taken_at=_taken_at(exif, tz),
    )


def _rgb(image: Image.Image) -> Image.Image:
    """Plain RGB pixels; a transparent PNG is laid on white, as it would look on the page."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    image.info = {}  # JPEG's writer carries a comment over from here; nothing of the upload goes out
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=b"")
    return out.getvalue()


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return -result if str(ref).upper() in ("S", "W") else result


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if not gps:
        return None, None
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return round(latitude, 7), round(longitude, 7)


def _taken_at(exif: Image.Exif, tz: ZoneInfo) -> datetime | None:
    """When the camera says it took the photo: its local time, at its own UTC offset or else the city's."""
    details = exif.get_ifd(ExifTags.IFD.Exif)
    written = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    try:
        moment = datetime.strptime(str(written).strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - the zone is set below
    except ValueError:
        return None
    offset = str(details.get(ExifTags.Base.OffsetTimeOriginal) or "")
    try:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset.lstrip("+-").split(":")
        zone: timezone | ZoneInfo = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except ValueError:
        zone = tz
    return moment.replace(tzinfo=zone).astimezone(UTC)


def _key(now: datetime) -> str:
    return f"photos/{now:%Y/%m}/{uuid.uuid4().hex}"


@contextmanager
def stored(prepared: Sequence[Prepared], storage: FileStorage, now: datetime) -> Iterator[list[Stored]]:
    """Write the files, then run the caller's transaction; if it fails, delete what was written.

    Files first: a report is never committed naming a photo that is not there. A crash between the two
    leaves at worst unnamed files, never a lost report."""
    written: list[str] = []
    try:
        saved = []
        for photo in prepared:
            key = _key(now)
            image_key, thumb_key = f"{key}.jpg", f"{key}-thumb.jpg"
            storage.put(image_key, photo.image)
            written.append(image_key)
            storage.put(thumb_key, photo.thumb)
            written.append(thumb_key)
            saved.append(Stored(photo, image_key, thumb_key))
        yield saved
    except BaseException:
        for key in written:
            storage.delete(key)
        raise


def add_rows(
    session: Session,
    case: Case,
    saved: Sequence[Stored],
    *,
    source: PhotoSource,
    actor: Actor,
    event: CaseEvent | None,
    now: datetime,
) -> list[CasePhoto]:
    """The photos' rows, in the caller's transaction (the event must be flushed: its id is the link)."""
    rows = [
        CasePhoto(
            case_id=case.id,
            event_id=event.id if event is not None else None,
            source=source.value,
            image_key=item.image_key,
            thumb_key=item.thumb_key,
            content_type=CONTENT_TYPE,
            byte_size=len(item.prepared.image),
            width=item.prepared.width,
            height=item.prepared.height,
            thumb_width=item.prepared.thumb_width,
            thumb_height=item.prepared.thumb_height,
            gps_latitude=item.prepared.latitude,
            gps_longitude=item.prepared.longitude,
            taken_at=item.prepared.taken_at,
            uploaded_by_id=actor.user_id,
            uploaded_at=now,
        )
        for item in saved
    ]
    session.add_all(rows)
    return rows


def photos_of(session: Session, case: Case) -> list[CasePhoto]:
    """The case's photos, oldest first (the caller has checked that its reader may see the case)."""
    return list(session.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id).order_by(CasePhoto.id)))


def photo_to_serve(session: Session, *, actor: Actor, case_no: str, photo_id: int) -> CasePhoto:
    """One photo of a case, if this actor may see the case: the same rule as the case itself (else 404)."""
    found = session.execute(
        select(CasePhoto, Case).join(Case, Case.id == CasePhoto.case_id).where(CasePhoto.id == photo_id)
    ).first()
    if found is None or found[1].case_no != case_no or not may_see(actor, found[1]):
        raise NotFound("photo.not_found", case_no=case_no)
    photo: CasePhoto = found[0]
    return photo
