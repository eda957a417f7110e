"""`python -m bench.photos [--reports 30] [--backend sqlite|postgresql]`: a photo upload to its thumbnail, measured.

Each report is the real `report_back` service with one phone-sized photo (4032×3024 JPEG of 3–4 MB with GPS
EXIF, different each time): decoding, applying the orientation, re-encoding without metadata, the 320 px
thumbnail, both files written to the local storage and the report committed with its photo row. That is the
moment the thumbnail can be served. `prepare` alone (the Pillow work, no storage or database) is timed too.
Results: bench/results/photos.json. Multipart parsing by the web server is not included.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from app.access import Actor
from app.cases import actions
from app.cases.intake import NewCase, open_case
from app.cases.photos import Upload, prepare
from app.db import db
from app.models import Agency
from app.storage import STORAGE, LocalStorage
from app.vocabulary import Channel, ReportOutcome, Role
from bench.database import app_context, create_agent, make_database
from bench.measure import code_version, latency_ms, machine
from tests.photo_files import exif_with_gps

TZ = ZoneInfo("Asia/Taipei")
RESULTS = Path(__file__).resolve().parent / "results" / "photos.json"


def phone_photo(seed: int) -> bytes:
    """Smooth colour blobs with sensor-like grain: compresses like a photo (about 3.5 MB at quality 88)."""
    rng = random.Random(seed)
    base = Image.frombytes("RGB", (504, 378), rng.randbytes(504 * 378 * 3)).resize((4032, 3024), Image.BICUBIC)
    grain = Image.effect_noise((4032, 3024), 10).convert("RGB")
    out = io.BytesIO()
    Image.blend(base, grain, 0.25).save(out, "JPEG", quality=88, exif=exif_with_gps(orientation=6).tobytes())
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-photos-"))
    database = make_database(args.backend, workdir)
    agent_id, _ = create_agent(database)
    photos = [phone_photo(seed) for seed in range(args.reports)]
    load_before = round(os.getloadavg()[0], 1)
    with app_context(database) as app:
        app.extensions[STORAGE] = LocalStorage(workdir / "files")
        agent = Actor(user_id=agent_id, username="bench-agent", role=Role.AGENT)
        agency = db.session.query(Agency).filter_by(code="PWD-MAINT").one()
        responder = Actor(user_id=None, username="bench-responder", role=Role.AGENCY, agency_id=agency.id)
        cases = [
            open_case(
                session=db.session,
                actor=agent,
                new_case=NewCase(
                    channel=Channel.PHONE,
                    category_code="fallen_tree",
                    district_code="fongshan",
                    address=f"鳳山區光復路二段{number}號",
                    description="bench",
                ),
                tz=TZ,
            )
            for number in range(args.reports)
        ]
        prepared, reported = [], []
        for photo in photos[: min(10, len(photos))]:
            started = time.perf_counter()
            prepare([Upload("bench.jpg", photo)], tz=TZ)
            prepared.append(time.perf_counter() - started)
        for case, photo in zip(cases, photos, strict=True):
            started = time.perf_counter()
            actions.report_back(
                session=db.session,
                actor=responder,
                case_no=case.case_no,
                version=case.version,
                text="已移除倒木",
                outcome=ReportOutcome.DONE,
                photos=[Upload("IMG.JPG", photo)],
            )
            reported.append(time.perf_counter() - started)
    sizes = sorted(len(photo) for photo in photos)
    report = {
        "backend": args.backend,
        "photo": {"pixels": "4032x3024", "mb_min": round(sizes[0] / 1e6, 2), "mb_max": round(sizes[-1] / 1e6, 2)},
        "prepare_only": latency_ms(prepared),
        "upload_to_thumbnail": latency_ms(reported),
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 1)],
        "note": "one photo per report, sequential, through the report_back service; measured under load "
        "(a 2-core machine shared with other work)",
        "code": code_version(),
        "machine": machine(),
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
