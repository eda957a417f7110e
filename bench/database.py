"""A migrated, seeded database of either kind (SQLite file or fresh PostgreSQL database), shared by the benchmarks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Engine, create_engine, select

from app import create_app
from app.database_admin import recreate_postgres_database
from app.db import db
from app.models import Agency, Category, District, RoutingRule
from app.vocabulary import Role
from config.settings import PROJECT_ROOT, REFERENCE_DIR, Settings

TZ = ZoneInfo("Asia/Taipei")
MIGRATIONS = PROJECT_ROOT / "migrations"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench"
SECRET_KEY = "bench"


@dataclass(frozen=True)
class BenchDatabase:
    """Where a benchmark database lives; `url` is what the app gets as DATABASE_URL."""

    kind: str  # "sqlite" or "postgresql"
    url: str
    workdir: Path

    def settings(self) -> Settings:
        return Settings(env="development", database_url=self.url, secret_key=SECRET_KEY, timezone=TZ)

    def app(self) -> Flask:
        return create_app(self.settings())

    def engine(self, **options: object) -> Engine:
        """A plain engine with the app's SQLite pragmas (WAL, BEGIN IMMEDIATE on request)."""
        from app.db import install_sqlite_pragmas

        if self.kind == "sqlite":
            engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": 30}, **options)
        else:
            engine = create_engine(self.url, **options)
        install_sqlite_pragmas(engine)
        return engine

    def server_env(self) -> dict[str, str]:
        """Environment for a real server process on this database."""
        return {
            "DATABASE_URL": self.url,
            "HOTLINE_ENV": "development",
            "SECRET_KEY": SECRET_KEY,
            "HOTLINE_INSTANCE_DIR": str(self.workdir),
        }


def make_database(kind: str, workdir: Path, pg_url: str = DEFAULT_PG_URL) -> BenchDatabase:
    """Create an empty database of `kind`, run the migrations and load the reference data."""
    from flask_migrate import upgrade

    from app.reference.seed import seed_reference_data

    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "postgresql":
        url = Settings.from_env({"DATABASE_URL": pg_url, "SECRET_KEY": SECRET_KEY}).database_url
        recreate_postgres_database(url)
    elif kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        raise ValueError(f"unknown backend {kind!r}")
    database = BenchDatabase(kind=kind, url=url, workdir=workdir)
    app = database.app()
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        seed_reference_data(session=db.session, directory=REFERENCE_DIR)
        db.session.remove()
        db.engine.dispose()
    return database


@contextlib.contextmanager
def app_context(database: BenchDatabase) -> Iterator[Flask]:
    app = database.app()
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def create_agent(database: BenchDatabase, username: str = "bench-agent") -> tuple[int, str]:
    """An agent user through the real service; returns (user id, bearer token)."""
    from app.users.service import create_user

    with app_context(database):
        issued = create_user(session=db.session, username=username, role=Role.AGENT)
        return issued.user.id, issued.token


@dataclass(frozen=True)
class CategoryRef:
    id: int
    code: str
    case_type: str
    default_agency_id: int | None


@dataclass(frozen=True)
class DistrictRef:
    id: int
    code: str
    name_zh: str


@dataclass(frozen=True)
class Reference:
    """The seeded reference rows the data generator needs, by id."""

    categories: tuple[CategoryRef, ...]
    districts: tuple[DistrictRef, ...]
    routing: dict[tuple[int, int], int]  # (category id, district id) -> agency id
    agencies: dict[str, int]

    def category(self, code: str) -> CategoryRef:
        return next(row for row in self.categories if row.code == code)

    def agency_for(self, category: CategoryRef, district: DistrictRef | None) -> int | None:
        if district is not None and (category.id, district.id) in self.routing:
            return self.routing[(category.id, district.id)]
        return category.default_agency_id


def load_reference(engine: Engine) -> Reference:
    with engine.connect() as connection:
        categories = tuple(
            CategoryRef(row.id, row.code, str(row.case_type.value), row.default_agency_id)
            for row in connection.execute(
                select(Category.id, Category.code, Category.case_type, Category.default_agency_id)
                .where(Category.active.is_(True))
                .order_by(Category.id)
            )
        )
        districts = tuple(
            DistrictRef(row.id, row.code, row.name_zh)
            for row in connection.execute(
                select(District.id, District.code, District.name_zh)
                .where(District.active.is_(True))
                .order_by(District.id)
            )
        )
        routing = {
            (row.category_id, row.district_id): row.agency_id
            for row in connection.execute(
                select(RoutingRule.category_id, RoutingRule.district_id, RoutingRule.agency_id).where(
                    RoutingRule.active.is_(True)
                )
            )
        }
        agencies = {row.code: row.id for row in connection.execute(select(Agency.code, Agency.id))}
    return Reference(categories=categories, districts=districts, routing=routing, agencies=agencies)


def server_version(database: BenchDatabase) -> str:
    engine = database.engine()
    try:
        with engine.connect() as connection:
            if database.kind == "postgresql":
                return str(connection.exec_driver_sql("SHOW server_version").scalar())
            return "SQLite " + str(connection.exec_driver_sql("SELECT sqlite_version()").scalar())
    finally:
        engine.dispose()
