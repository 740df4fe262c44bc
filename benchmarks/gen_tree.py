"""Generate a realistic Python web service tree of N Python files plus configs, for benchmarks.

    python benchmarks/gen_tree.py OUT_DIR --files 5000 [--seed 1]

Packages of ~12 modules each (FastAPI routers, SQLAlchemy models, services with retries and
logging, settings, Celery tasks, utils) plus ~15% tests, an Alembic folder, Dockerfile,
docker-compose.yml, a CI workflow, pyproject.toml and requirements.txt. Files average about
75 lines, like healthchecks (45k lines in 653 files). Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

ROUTER = '''"""HTTP routes for {name}."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession

from {pkg}.db import get_session
from {pkg}.models import {Model}
from {pkg}.schemas import {Model}Create, {Model}Out
from {pkg}.services import {name}_service

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/{name}s", tags=["{name}"])
Session = Annotated[AsyncSession, Depends(get_session)]


@router.get("/", response_model=list[{Model}Out])
async def list_{name}s(session: Session, limit: int = 50, offset: int = 0) -> list[{Model}]:
    """Page through {name}s."""
    if limit > {limit}:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail="limit too large")
    return await {name}_service.list(session, limit=limit, offset=offset)


@router.get("/{{item_id}}", response_model={Model}Out)
async def get_{name}(item_id: int, session: Session) -> {Model}:
    item = await {name}_service.get(session, item_id)
    if item is None:
        logger.info("{name} %s not found", item_id)
        raise HTTPException(status_code=404, detail="not found")
    return item


@router.post("/", response_model={Model}Out, status_code=201)
async def create_{name}(payload: {Model}Create, session: Session) -> {Model}:
    try:
        return await {name}_service.create(session, payload)
    except ValueError as exc:
        logger.warning("invalid {name}: %s", exc)
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.delete("/{{item_id}}", status_code=204)
async def delete_{name}(item_id: int, session: Session) -> None:
    deleted = await {name}_service.delete(session, item_id)
    if not deleted:
        raise HTTPException(status_code=404, detail="not found")
'''

MODELS = '''"""Database models of {pkg}."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass

{classes}
'''

MODEL_CLASS = '''
class {Model}(Base):
    __tablename__ = "{name}s"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String({size}), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    owner = relationship("User", back_populates="{name}s")

    def __repr__(self) -> str:
        return f"<{Model} {{self.id}} {{self.name!r}}>"
'''

SERVICE = '''"""Business logic for {name}s: retries, caching and audit logging."""

from __future__ import annotations

import logging
import time

import httpx
from sqlalchemy import delete, select
from tenacity import retry, stop_after_attempt, wait_exponential

from {pkg}.models import {Model}
from {pkg}.settings import settings

log = logging.getLogger(__name__)
_CACHE: dict[int, {Model}] = {{}}


async def list(session, limit: int = 50, offset: int = 0):
    result = await session.execute(select({Model}).order_by({Model}.id).limit(limit).offset(offset))
    return result.scalars().all()


async def get(session, item_id: int):
    if item_id in _CACHE:
        return _CACHE[item_id]
    item = await session.get({Model}, item_id)
    if item is not None and len(_CACHE) < {cache}:
        _CACHE[item_id] = item
    return item


async def create(session, payload):
    if not payload.name.strip():
        raise ValueError("name is empty")
    item = {Model}(name=payload.name, owner_id=payload.owner_id)
    session.add(item)
    await session.commit()
    await session.refresh(item)
    log.info("created {name} %s", item.id, extra={{"owner": payload.owner_id}})
    return item


async def delete(session, item_id: int) -> bool:
    result = await session.execute(delete({Model}).where({Model}.id == item_id))
    await session.commit()
    _CACHE.pop(item_id, None)
    return result.rowcount > 0


@retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.5, max={wait}))
def notify_{name}(item_id: int) -> None:
    started = time.monotonic()
    response = httpx.post(settings.webhook_url, json={{"id": item_id}}, timeout={timeout})
    response.raise_for_status()
    log.debug("notified in %.3fs", time.monotonic() - started)
'''

SETTINGS = '''"""Configuration from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="{PKG}_", env_file=".env")

    database_url: str = "postgresql+asyncpg://app@localhost/{pkg}"
    pool_size: int = Field(default={pool}, ge=1)
    secret_key: SecretStr
    webhook_url: str = "https://hooks.example.com/{pkg}"
    debug: bool = False
    allowed_origins: list[str] = ["https://{pkg}.example.com"]


settings = Settings()
'''

DB = '''"""Engine and sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from {pkg}.settings import settings

engine = create_async_engine(settings.database_url, pool_size=settings.pool_size, pool_pre_ping=True,
                             pool_recycle={recycle})
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session
'''

SCHEMAS = '''"""Request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

{classes}
'''

SCHEMA_CLASS = '''
class {Model}Create(BaseModel):
    name: str = Field(min_length=1, max_length={size})
    owner_id: int


class {Model}Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
'''

TASKS = '''"""Background jobs."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries={retries}, acks_late=True)
def cleanup(self, older_than_days: int = {days}) -> int:
    try:
        removed = _purge(older_than_days)
    except ConnectionError as exc:
        log.exception("cleanup failed")
        raise self.retry(exc=exc, countdown=2 ** self.request.retries)
    log.info("removed %d rows", removed)
    return removed


def _purge(days: int) -> int:
    total = 0
    for batch in range(days):
        total += batch % 7
    return total
'''

UTILS = '''"""Small helpers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return SLUG.sub("-", text.lower()).strip("-")


def chunks(items: Iterable[int], size: int = {size}) -> list[list[int]]:
    out: list[list[int]] = []
    current: list[int] = []
    for item in items:
        current.append(item)
        if len(current) == size:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:{digits}]


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    if value < low:
        return low
    if value > high:
        return high
    return value
'''

TEST = '''"""Tests for {pkg}.{name}."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from {pkg}.main import app

client = TestClient(app)


@pytest.mark.parametrize("limit", [1, 10, {limit}])
def test_list_{name}s(limit: int) -> None:
    response = client.get("/api/v1/{name}s/", params={{"limit": limit}})
    assert response.status_code == 200


def test_missing_{name}() -> None:
    assert client.get("/api/v1/{name}s/999999").status_code == 404


def test_create_{name}_validates() -> None:
    response = client.post("/api/v1/{name}s/", json={{"name": "", "owner_id": 1}})
    assert response.status_code == 422
'''

MAIN = '''"""The application."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from {pkg}.routers import {imports}
from {pkg}.settings import settings

logging.basicConfig(level=logging.INFO)
app = FastAPI(title="{pkg}", debug=settings.debug)
app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_methods=["GET", "POST"])
{includes}


@app.get("/health")
async def health() -> dict[str, str]:
    return {{"status": "ok"}}
'''

DOCKERFILE = """FROM python:3.12-slim AS build
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
USER 1000
HEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1
CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "--timeout", "30", "svc0.main:app"]
"""

COMPOSE = """services:
  web:
    build: .
    ports: ["8000:8000"]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready"]
      interval: 5s
"""

WORKFLOW = """name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install -r requirements.txt
      - run: pytest -q
"""

PYPROJECT = """[project]
name = "generated-service"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = ["fastapi", "sqlalchemy[asyncio]", "asyncpg", "httpx", "tenacity", "celery", "pydantic-settings"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

NAMES = ["user", "order", "invoice", "product", "team", "project", "ticket", "comment", "alert", "check",
         "report", "webhook", "payment", "session", "device", "channel", "message", "tag", "note", "event"]


def _models(rng: random.Random, k: int) -> list[tuple[str, str]]:
    names = rng.sample(NAMES, k)
    return [(n, n.capitalize()) for n in names]


def generate(out: Path, n_files: int, seed: int = 1) -> int:
    """Write about ``n_files`` Python files (and configs) under ``out``; returns the count written."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "Dockerfile").write_text(DOCKERFILE)
    (out / "docker-compose.yml").write_text(COMPOSE)
    (out / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (out / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (out / "pyproject.toml").write_text(PYPROJECT)
    (out / "requirements.txt").write_text("fastapi==0.115.0\nsqlalchemy==2.0.36\nhttpx==0.27.2\ntenacity==9.0.0\n")
    (out / "README.md").write_text("# Generated service\n\nRun `pytest` to test.\n")
    written = 0
    pkg_index = 0
    while written < n_files:
        pkg = f"svc{pkg_index}"
        base = out / "src" / pkg
        (base / "routers").mkdir(parents=True, exist_ok=True)
        (base / "services").mkdir(parents=True, exist_ok=True)
        tests = out / "tests" / pkg
        tests.mkdir(parents=True, exist_ok=True)
        models = _models(rng, 3)
        files: dict[Path, str] = {
            base / "__init__.py": "",
            base / "routers" / "__init__.py": "",
            base / "services" / "__init__.py": "",
            base / "settings.py": SETTINGS.format(pkg=pkg, PKG=pkg.upper(), pool=rng.randint(5, 20)),
            base / "db.py": DB.format(pkg=pkg, recycle=rng.choice([300, 1800, 3600])),
            base / "models.py": MODELS.format(pkg=pkg, classes="\n".join(
                MODEL_CLASS.format(name=n, Model=m, size=rng.choice([64, 128, 255])) for n, m in models)),
            base / "schemas.py": SCHEMAS.format(classes="\n".join(
                SCHEMA_CLASS.format(Model=m, size=rng.choice([64, 128, 255])) for _, m in models)),
            base / "tasks.py": TASKS.format(retries=rng.randint(2, 6), days=rng.randint(7, 90)),
            base / "utils.py": UTILS.format(size=rng.randint(10, 500), digits=rng.choice([8, 12, 16])),
            base / "main.py": MAIN.format(pkg=pkg, imports=", ".join(n for n, _ in models),
                                          includes="\n".join(f"app.include_router({n}.router)" for n, _ in models)),
        }
        for name, model in models:
            files[base / "routers" / f"{name}.py"] = ROUTER.format(pkg=pkg, name=name, Model=model,
                                                                 limit=rng.choice([100, 200, 500]))
            files[base / "services" / f"{name}_service.py"] = SERVICE.format(
                pkg=pkg, name=name, Model=model, cache=rng.randint(100, 5000), wait=rng.randint(5, 30),
                timeout=rng.choice([2, 5, 10]))
            files[tests / f"test_{name}.py"] = TEST.format(pkg=pkg, name=name, limit=rng.choice([50, 100]))
        for path, text in files.items():
            if written >= n_files:
                break
            path.write_text(text)
            written += 1
        pkg_index += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = generate(args.out, args.files, args.seed)
    print(f"{n} Python files under {args.out}")


if __name__ == "__main__":
    main()
