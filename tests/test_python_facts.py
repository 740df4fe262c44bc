"""Python fact extraction: names resolved through imports, lines, scopes, handlers."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from auditor.facts.python import _anchor_lines, _Extractor, _metadata_lines, extract_python


def facts(code: str, t: str | None = None) -> list[dict]:
    out = extract_python(textwrap.dedent(code).encode())
    return [f for f in out if t is None or f["t"] == t]


def test_aliases_resolve_to_qualified_names() -> None:
    calls = facts(
        """
        from sqlalchemy.ext.asyncio import create_async_engine as mk
        import sqlalchemy as sa
        import os.path
        engine = mk("x", pool_size=5)
        sa.create_engine("y")
        os.path.join("a", "b")
        """,
        "call",
    )
    names = {c["name"]: c for c in calls}
    assert names["sqlalchemy.ext.asyncio.create_async_engine"]["kw"] == {"pool_size": 5}
    assert names["sqlalchemy.ext.asyncio.create_async_engine"]["line"] == 5
    assert "sqlalchemy.create_engine" in names
    assert "os.path.join" in names


def test_a_name_imported_in_a_function_resolves_through_the_import_above_its_use() -> None:
    calls = facts(
        """
        from limits import Limiter

        def build(flag):
            if flag:
                from flask_limiter import Limiter
                a = Limiter(key_func=str)
            else:
                from .noop import Limiter
                b = Limiter()
            return Limiter

        def other():
            return Limiter()
        """,
        "call",
    )
    assert [(c["line"], c["name"]) for c in calls] == [
        (7, "flask_limiter.Limiter"), (10, ".noop.Limiter"), (14, "limits.Limiter")]


def test_relative_imports_and_method_receivers_keep_their_text() -> None:
    calls = facts(
        """
        from .db import engine
        engine.dispose()
        app.add_middleware(X)
        """,
        "call",
    )
    assert {c["name"] for c in calls} == {".db.engine.dispose", "app.add_middleware"}
    assert any(c["name"] == "app.add_middleware" and c["args"] == [{"ref": "X"}] for c in calls)


def test_except_records_types_calls_and_chaining() -> None:
    handlers = facts(
        """
        import logging
        from sqlalchemy.exc import SQLAlchemyError
        log = logging.getLogger(__name__)
        def f(session):
            try:
                session.commit()
            except (SQLAlchemyError, ValueError) as exc:
                session.rollback()
                log.exception("failed")
                raise RuntimeError("db") from exc
        """,
        "except",
    )
    (handler,) = handlers
    assert handler["types"] == ["sqlalchemy.exc.SQLAlchemyError", "ValueError"]
    assert {"session.rollback", "log.exception"} <= set(handler["calls"])
    assert handler["reraise"] and handler["chained"]
    assert handler["scope"] == "f"
    assert handler["line"] == 8


def test_from_none_is_not_chaining() -> None:
    (raise_fact,) = facts(
        """
        try:
            pass
        except KeyError:
            raise ValueError("x") from None
        """,
        "raise",
    )
    assert raise_fact["cause"] == "None"


def test_decorators_functions_and_scopes() -> None:
    out = facts(
        """
        from fastapi import APIRouter, UploadFile
        router = APIRouter()

        class Api:
            @router.post("/files", status_code=201)
            async def upload(self, f: UploadFile):
                yield 1
        """
    )
    (dec,) = [f for f in out if f["t"] == "decorator"]
    assert dec["name"] == "router.post" and dec["args"] == ["/files"] and dec["line"] == 6
    assert dec["scope"] == "Api.upload"
    (func,) = [f for f in out if f["t"] == "function"]
    assert func["line"] == 7 and func["async"] and func["yields"]
    assert func["params"][1]["ann"] == ["fastapi.UploadFile"]


def test_docstrings_are_not_string_facts() -> None:
    strings = facts(
        '''
        """Module docstring /health."""
        def f():
            """Function docstring."""
            return "/health"
        ''',
        "string",
    )
    assert [s["value"] for s in strings] == ["/health"]


def test_dict_keys_and_settings_assignments() -> None:
    out = facts(
        """
        DATABASES = {
            "default": {
                "CONN_MAX_AGE": 600,
            }
        }
        """
    )
    keys = {f["key"]: f for f in out if f["t"] == "dictkey"}
    assert keys["CONN_MAX_AGE"]["value"] == 600
    (assign,) = [f for f in out if f["t"] == "assign"]
    assert assign["target"] == "DATABASES"


def test_newer_syntax_parses_with_libcst_and_gets_lines() -> None:
    # PEP 695 generics: the standard parser of Python 3.11 cannot read this, LibCST can.
    out = facts(
        """
        def first[T](items: list[T]) -> T:
            return items[0]

        print(first([1]))
        """,
        "call",
    )
    assert [(c["name"], c["line"]) for c in out] == [("print", 5), ("first", 5)]


def test_syntax_errors_raise_for_the_caller_to_report() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        extract_python(b"def broken(:\n")


@pytest.mark.parametrize(
    "code",
    [
        "x = f(g(1))(2).h(k())\n",
        "@a(b())\n@c\nclass K(Base, metaclass=M):\n    def m(self): return [i() for i in j()]\n",
        "try:\n    a()\nexcept A:\n    b()\nelse:\n    c()\nfinally:\n    d()\n",
        "if a(): b()\nelif c(): d()\nelse: e()\nwith f() as g, h(): i()\n",
        "x = {'k': f(1), **g()}\ny = lambda q=r(): s(q)\n",
        "x = f(\n    a=1, b=g(c=2,\n        d=3),\n    **kw,\n    e=4)\nclass K(B,\n        metaclass=M): pass\n",
        "q = (select(f())\n     .select_from(T)\n     .where(T.a == b))\ny = g(a)(b).h(\n    1)\n"
        "z = M.o.filter(a=1\n  ).only(\n  'y')\n",
    ],
)
def test_anchor_lines_agree_with_libcst_positions(code: str) -> None:
    module = cst.parse_module(code)
    visitor = _Extractor()
    module.visit(visitor)
    fast = _anchor_lines(code.encode(), visitor.anchors)
    assert fast is not None
    assert fast == _metadata_lines(module, visitor.anchors)


def test_a_method_in_a_chain_is_cited_at_the_line_of_its_name() -> None:
    calls = {c["name"]: c["line"] for c in facts(
        """
        statement = (
            select(func.count())
            .select_from(Item)
            .where(Item.owner_id == user_id)
        )
        rows = Check.objects.filter(project=p).only(
            "code")
        """,
        "call",
    )}
    assert calls["select().select_from().where"] == 5
    assert calls["select().select_from"] == 4
    assert calls["select"] == 3
    assert calls["Check.objects.filter().only"] == 7  # on one line with its receiver: that line
    compare = facts("q = (select(T)\n     .where(T.a == b))\n", "compare")
    assert [f["line"] for f in compare] == [2]


def test_a_starred_argument_is_recorded_in_its_place() -> None:
    call = facts("rows = await conn.fetch(query.get_sql(), *params)\n", "call")[0]
    assert call["args"] == [{"call": "query.get_sql"}, {"expr": "Starred"}]


def test_literals_in_multiline_statements_get_their_own_line() -> None:
    out = facts(
        """
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django_prometheus.middleware.PrometheusAfterMiddleware",
        ]
        LOGGING = {
            "handlers": {
                "file": {"class": "logging.handlers.RotatingFileHandler"},
            },
            "root": {"handlers": ["file"]},
        }
        """
    )
    strings = [(f["value"], f["line"]) for f in out if f["t"] == "string"]
    assert ("django_prometheus.middleware.PrometheusAfterMiddleware", 4) in strings
    assert ("logging.handlers.RotatingFileHandler", 8) in strings
    keys = [(f["key"], f["line"]) for f in out if f["t"] == "dictkey"]
    assert keys == [("handlers", 7), ("file", 8), ("class", 8), ("root", 10), ("handlers", 10)]


def test_fstring_fields_are_recorded() -> None:
    (fact,) = facts('q = f"SELECT * FROM {TABLE} WHERE id = {user.id}"\n', "string")
    assert fact["fstring"] and fact["fields"] == ["TABLE", "user.id"]
    assert fact["value"] == "SELECT * FROM {} WHERE id = {}"


def test_method_calls_know_their_receiver_where_the_file_says_it() -> None:
    calls = {c["name"]: c for c in facts(
        """
        import threading
        from filelock import FileLock
        import httpx

        class Index:
            def __init__(self):
                self._lock = None

            def open(self, path):
                self._lock = FileLock(path)
                self._lock.acquire(timeout=1)

        guard = threading.Lock()
        guard.acquire()
        shared = make()
        shared = other()
        shared.execute()

        async def fetch(client: httpx.AsyncClient, conn):
            await client.get("/")
            await conn.execute("SELECT 1")
        """,
        "call",
    )}
    assert calls["self._lock.acquire"]["recv"] == "filelock.FileLock"  # the None placeholder aside
    assert calls["guard.acquire"]["recv"] == "threading.Lock"
    assert "recv" not in calls["shared.execute"]  # built by two different callees: unknown
    assert calls["client.get"]["recv"] == "httpx.AsyncClient"  # the parameter's annotation
    assert "recv" not in calls["conn.execute"]


def test_dockerfile_comment_and_blank_lines_inside_a_continuation_are_dropped() -> None:
    from auditor.facts.dockerfile import extract_dockerfile

    text = ("FROM python:3.12\nRUN apt-get update && apt-get install -y \\\n  # for TLS\n  ca-certificates \\\n\n"
            "  curl \\\n    && rm -rf /var/lib/apt/lists/*\nUSER app\n")
    facts = extract_dockerfile(text)
    assert [(f["name"], f["line"]) for f in facts] == [("FROM", 1), ("RUN", 2), ("USER", 8)]
    assert " ".join(facts[1]["args"].split()) == (
        "apt-get update && apt-get install -y ca-certificates curl && rm -rf /var/lib/apt/lists/*")


def test_keywords_of_multiline_calls_record_their_lines() -> None:
    out = facts(
        """
        from sqlalchemy import create_engine

        engine = create_engine(
            URL,
            pool_size=5, max_overflow=2,
            pool_pre_ping=True,
        )
        short = create_engine(URL, pool_recycle=60)

        @retry(stop=3,
               wait=wait_exponential(multiplier=1,
                                     max=10))
        def fetch(): ...
        """
    )
    calls = {f["name"]: f for f in out if f["t"] == "call"}
    engine = next(f for f in out if f["t"] == "call" and f["line"] == 4)
    assert engine["kwl"] == {"pool_size": 6, "max_overflow": 6, "pool_pre_ping": 7}
    short = next(f for f in out if f["t"] == "call" and f["line"] == 9)
    assert "kwl" not in short  # every keyword sits on the call's line
    (decorator,) = [f for f in out if f["t"] == "decorator"]
    assert decorator["line"] == 11 and decorator["kwl"] == {"wait": 12}
    assert calls["wait_exponential"]["kwl"] == {"max": 13}


def test_generators_record_their_yield_and_whether_teardown_follows() -> None:
    facts = extract_python(textwrap.dedent('''\
        def values():
            yield 1

        def session():
            s = make()
            yield s
            s.rollback()

        def guarded():
            with open_client() as c:
                yield c

        def finally_close():
            try:
                yield 1
            finally:
                close()

        def either(flag):
            if flag:
                yield 1
            else:
                yield 2

        def plain():
            return 1
        ''').encode())
    funcs = {f["name"]: (f.get("yl"), f.get("td")) for f in facts if f["t"] == "function"}
    assert funcs == {"values": (2, False), "session": (6, True), "guarded": (11, True),
                     "finally_close": (15, True), "either": (21, False), "plain": (None, None)}


def test_a_generic_base_is_the_class_it_parametrises() -> None:
    classes = facts(
        """
        from typing import Generic, TypeVar
        from rest_framework.viewsets import ModelViewSet
        T = TypeVar("T")
        class TagViewSet(ModelViewSet[Tag]):
            pass
        class Box(Generic[T], dict):
            pass
        """,
        "class",
    )
    assert [c["bases"] for c in classes] == [["rest_framework.viewsets.ModelViewSet"], ["typing.Generic", "dict"]]


def test_code_that_runs_in_debug_mode_only_is_marked_dev() -> None:
    found = facts(
        """
        if app.debug:
            CORS(app)
            @app.after_request
            def allow_all(response):
                return response
        else:
            Talisman(app)
        if not settings.DEBUG:
            SecurityMiddleware()
        if settings.DEBUG and TOOLBAR:
            urlpatterns += debug_urls()
        if app.config["DEBUG"]: profile(app)
        serve(app)
        """,
    )
    dev = {(f["t"], f.get("name")) for f in found if f.get("dev")}
    assert dev == {("call", "CORS"), ("decorator", "app.after_request"), ("function", "allow_all"),
                   ("assign", None), ("call", "debug_urls"), ("call", "profile")}
