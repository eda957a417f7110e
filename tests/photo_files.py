"""Photos as phones make them, for tests and the benchmark: JPEG with GPS and orientation EXIF, PNG, HEIC."""

from __future__ import annotations

import io
import random

from PIL import ExifTags, Image
from pillow_heif import register_heif_opener

from app.cases.photos import Upload

register_heif_opener()

# 高雄市政府四維行政中心, roughly: 22°37'15.6"N 120°20'52.8"E
LATITUDE, LONGITUDE = 22.6210, 120.3480


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 2)
    return (float(degrees), float(minutes), seconds)


def exif_with_gps(orientation: int = 1, taken: str = "2026:11:30 21:15:00") -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestPhone"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = taken
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = _dms(LATITUDE)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = _dms(LONGITUDE)
    return exif


def picture(width: int = 400, height: int = 300, noise: bool = False, seed: int = 1) -> Image.Image:
    """A picture wider than tall, left half red and right half blue (so a rotation shows); `noise` makes it
    compress like a photo (a 4032×3024 one is then about 3–4 MB as JPEG)."""
    if noise:
        rng = random.Random(seed)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        image = image.resize((width, height))
    else:
        image = Image.new("RGB", (width, height), "blue")
    image.paste((220, 0, 0), (0, 0, width // 2, height))
    return image


def jpeg(width: int = 400, height: int = 300, *, gps: bool = True, orientation: int = 1, **kwargs) -> bytes:
    out = io.BytesIO()
    exif = exif_with_gps(orientation) if gps else Image.Exif()
    picture(width, height, **kwargs).save(out, "JPEG", quality=kwargs.get("quality", 90), exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 200, height: int = 100) -> bytes:
    out = io.BytesIO()
    image = picture(width, height).convert("RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    image.save(out, "PNG")
    return out.getvalue()


def heic(width: int = 200, height: int = 100) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(out, "HEIF", exif=exif_with_gps().tobytes())
    return out.getvalue()


def upload(name: str = "IMG_0001.JPG", **kwargs) -> Upload:
    """A phone's JPEG (GPS and all) as the report service takes it."""
    return Upload(name, jpeg(**kwargs))
