"""Requirement specifiers read with ``packaging``: the distribution's name, whatever surrounds it."""

from __future__ import annotations

import pytest

from auditor.facts.structured import extract_requirements, requirement_name


@pytest.mark.parametrize(("spec", "name"), [
    ("SQLAlchemy[asyncio]>=2.0,<3", "sqlalchemy"),
    ("prometheus_client==0.20 ; python_version >= '3.9'", "prometheus-client"),
    ("django-redis @ git+https://github.com/jazzband/django-redis@main", "django-redis"),
    ("Flask.Limiter~=3.5", "flask-limiter"),
    ("uvicorn [standard] >= 0.29", "uvicorn"),
    ("zope.interface", "zope-interface"),
    ("weird$name", "weird"),  # not PEP 508: its leading name, as before
    ("==1.0", None),
])
def test_requirement_names(spec: str, name: str | None) -> None:
    assert requirement_name(spec) == name


def test_requirements_file_skips_options_and_comments() -> None:
    text = ("-r base.txt\n--index-url https://x\n# pinned\nhttpx[http2]==0.27  # client\n\n"
            "tenacity>=8; extra == 'retry'\n")
    assert [(f["name"], f["line"]) for f in extract_requirements(text)] == [("httpx", 4), ("tenacity", 6)]
