"""Globs are first tested by their literal text, so that most never compile a regex; the answer
must be the regex's, for every glob and every name (property-based)."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.matchers.patterns import _glob_full, _glob_re, _GlobSet, key_matches, path_matches

# small alphabets, so that patterns and texts share text often enough to match
GLOB = st.text(alphabet="ab./*?_", max_size=10)
TEXT = st.text(alphabet="ab./_", max_size=12)
SETTINGS = settings(max_examples=2000, deadline=None)


@SETTINGS
@pytest.mark.slow
@given(GLOB, TEXT)
def test_a_segment_glob_answers_as_its_regex(pattern: str, text: str) -> None:
    assert _glob_full(pattern, text) is (_glob_re(pattern).match(text) is not None)


@SETTINGS
@pytest.mark.slow
@given(st.lists(GLOB, max_size=4), TEXT)
def test_path_matches_tries_the_file_name_for_globs_without_a_slash(patterns: list[str], path: str) -> None:
    name = path.rsplit("/", 1)[-1]
    expected = any(_glob_re(p, "/").match(path) or ("/" not in p and _glob_re(p, "/").match(name))
                   for p in patterns)
    assert path_matches(path, patterns) is bool(expected)


def test_a_path_glob_star_takes_dots_in_file_names_but_not_folders() -> None:
    assert path_matches("alembic/versions/2022-02-21-19.56.24_6b0f_initial.py", ["**/versions/*.py"])
    assert path_matches("conf/settings.prod.py", ["*prod.py"])
    assert not path_matches("a/versions/sub/x.py", ["**/versions/*.py"])
    assert not key_matches("services.web.image", "services.*")


@SETTINGS
@pytest.mark.slow
@given(st.lists(st.text(alphabet="ab.*?[]!_", max_size=8), min_size=1, max_size=4),
       st.lists(st.text(alphabet="ab._[]", max_size=10), max_size=8))
def test_a_glob_set_selects_what_fnmatch_matches(patterns: list[str], names: list[str]) -> None:
    expected = {n for n in names if any(fnmatchcase(n, p) for p in patterns)}
    assert _GlobSet(tuple(patterns)).select(names) == expected
    one_by_one = _GlobSet(tuple(patterns))  # a fresh set: nothing compiled yet
    assert {n for n in names if one_by_one.match(n)} == expected


def test_a_busy_glob_set_stops_testing_literals_and_compiles() -> None:
    globs = _GlobSet(("a*b*c",))
    names = [f"x{i}" for i in range(300)]
    assert globs.select(names) == set()  # too many names at once: straight to the regex
    assert isinstance(globs._regex, re.Pattern)
    quiet = _GlobSet(("a*b*c",))
    assert quiet.select(["xyz", "abd"]) == set()
    assert quiet._regex is None  # no name had the literal text: nothing compiled
    assert quiet.select(["a-b-c"]) == {"a-b-c"}


def test_literal_tests_spare_the_compile_for_paths_that_cannot_match() -> None:
    _glob_re.cache_clear()
    assert not path_matches("hc/api/views.py", ["**/migrations/*.py", "settings_*.py", "*.tf"])
    assert _glob_re.cache_info().currsize == 0
    assert path_matches("hc/api/migrations/0001_initial.py", ["**/migrations/*.py"])
    assert key_matches("db.pool_size", "db.*")
    assert not key_matches("db.pool.size", "db.*")  # * stays within a segment
