"""Walk a repository: honour .gitignore, skip environments and build trees, classify each file once."""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.safewrite import read_regular

if TYPE_CHECKING:
    import pathspec

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".env", "env", "virtualenv",
        ".tox", ".nox", "site-packages", "dist-packages", "__pycache__", ".mypy_cache",
        ".pytest_cache", ".ruff_cache", "vendor", "third_party", ".eggs",
        ".idea", ".vscode", "htmlcov", ".cache", "bower_components", "staticfiles",
    }
)
# Build output: skipped where a project root holds it (build/, dist/ beside pyproject.toml or
# setup.py, or at the scanned root), not every folder of that name (scripts/build/config/...).
BUILD_DIRS = frozenset({"build", "dist"})
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
# Load-test suites are test code too: they exercise the service, they are not part of it.
TEST_DIRS = frozenset({"tests", "test", "testing", "loadtests", "load_tests", "load-tests", "locust", "e2e"})
# Test suites split by kind or environment: tests_e2e/, e2e-tests/, integration_tests/, test-environments/.
_TEST_DIR = re.compile(r"(?:[a-z0-9]+[_-])?tests?(?:[_-][a-z0-9_-]+)?")
DOC_DIRS = frozenset({"examples", "example", "docs", "doc", "docs_src", "samples", "sample"})
# Migration revisions: evidence for schema items only (rules that want them name the role).
MIGRATION_DIRS = frozenset({"migrations", "versions", "revisions"})
# Developer tooling, not the service's runtime: dev environments and probes, theme/asset builds.
TOOLING_DIRS = frozenset({"dev", "devtools", "dev-tools", "dev_tools", "hack", ".devcontainer"})
ASSET_DIRS = frozenset({"themes", "theme", "static", "assets"})
ASSET_BUILD_FILES = ("vite.config.", "webpack.", "webpack.config.", "rollup.config.", "gulpfile.", "gruntfile.",
                     "postcss.config.", "tailwind.config.", "babel.config.", "esbuild.", "snowpack.config.")
# Commands that load seed, demo or fake data, or populate a store once (populate_searchdb,
# populate_history): their queries and settings are not the service's.
# (A service feature that seeds, ``seeder_service.py``, is the service's own.)
_SEED_NAME = re.compile(r"(?:seeds?|demo|load_demo|create_demo|generate_demo)(?:_\w*)?|populate(?:_\w+)?"
                        r"|(?:create|generate|load|make|insert)_(?:fake|dummy|sample|test|seed)_\w*"
                        r"|\w*_(?:demo|fake|dummy|sample|seed)_?data")

# The words of a file's name (create_ci_test_db -> create, ci, test, db).
_TOKEN_SPLIT = re.compile(r"[_\-.]+")
# Words that name a developer's probe of the service rather than part of it: a stress or fuzz
# run, a decompression-bomb sender, a seeder or fake-data generator (stress_seed.py,
# send_bomb.py, fuzz_api.py, a management command fake.py filling the database with Faker data).
_PROBE_WORDS = frozenset({"stress", "fuzz", "fuzzer", "bomb", "seed", "seeds", "fake", "fakes", "faker"})

# Files no extractor reads (CODEOWNERS, LICENSE, any .json, files without an extension): they have
# no facts, only a path and, when UTF-8, their text. Rules see them by naming the kind or a file.
OTHER_KIND = "other"
# Licences, changelogs, issue templates, the auditor's own configuration: never evidence for the
# bundled rules (items.md), visible to a team's rule that names this role.
META_ROLE = "meta"

DEFAULT_MAX_FILE_BYTES = 2_000_000
MAX_FOLDER_DEPTH = 200
_SPECIAL = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"))


@dataclass(frozen=True)
class SourceFile:
    """One file to extract facts from: its path relative to the root, kind and role."""

    path: str
    kind: str
    role: str
    size: int


@dataclass
class Discovery:
    """What discovery found, and what it passed over with a reason."""

    files: list[SourceFile] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def role_of(rel: str) -> str:
    """runtime, test, docs, tooling or migration, per the checklist's ground rules.

    ``tooling`` is what developers run beside the service (dev environments and probes, theme
    or asset builds, seed/demo-data commands, scripts of CI steps); ``migration`` is a migration revision folder.
    Neither is the service's runtime: rules see them only when they name the role.
    """
    parts = rel.split("/")
    name = parts[-1]
    dirs = [p.lower() for p in parts[:-1]]
    # tests.py / test.py: Django's runner collects test*.py (an app's tests.py is the convention)
    # factories.py: model factories (factory_boy) build test data, wherever the app keeps them
    if name.endswith(".py") and (
        name.startswith("test_") or name.endswith("_test.py")
        or name in ("conftest.py", "tests.py", "test.py", "factories.py")
    ):
        return "test"
    if any(d in TEST_DIRS or _TEST_DIR.fullmatch(d) for d in dirs):
        return "test"
    if any(d in DOC_DIRS for d in dirs):
        return "docs"
    if _is_tooling(name.lower(), dirs):
        return "tooling"
    if any(d in MIGRATION_DIRS for d in dirs):
        return "migration"
    return "runtime"


def _is_tooling(lower: str, dirs: list[str]) -> bool:
    if any(d in TOOLING_DIRS for d in dirs):
        return True
    if lower.startswith(ASSET_BUILD_FILES) and lower.endswith((".js", ".mjs", ".cjs", ".ts")):
        return True
    suffix = _suffix(lower)
    if suffix in (".js", ".mjs", ".cjs", ".ts", ".css", ".sh") and any(d in ASSET_DIRS for d in dirs):
        return True
    words = _TOKEN_SPLIT.split(lower[: -len(suffix)]) if suffix in (".py", ".sh") else []
    if "ci" in words:
        return True  # a CI step's script (create_ci_test_db.py, run-ci.sh): the pipeline's, not the service's
    if _PROBE_WORDS.intersection(words):
        return True
    return suffix == ".py" and _SEED_NAME.fullmatch(lower[: -len(suffix)]) is not None


def never_evidence(rel: str) -> bool:
    """Files that prove nothing about the service, whatever they say: issue and pull-request
    templates, changelogs, licences and the auditor's own configuration."""
    parts = rel.split("/")
    lower = parts[-1].lower()
    dirs = [p.lower() for p in parts[:-1]]
    if any(d in ("issue_template", "pull_request_template", "discussion_template", "issue_templates",
                 "merge_request_templates") for d in dirs):
        return True
    if lower.startswith(("pull_request_template", "issue_template")):
        return True
    if lower in (".auditor.yaml", ".auditor.yml"):
        return True
    if _suffix(lower) not in ("", ".md", ".rst", ".txt", ".markdown"):
        return False  # code and configuration named like these (history.py) are code
    stem = lower.split(".", 1)[0]
    if stem in ("changelog", "changes", "history", "news", "release_notes", "releasenotes", "release-notes",
                "license", "licence", "copying", "notice"):
        return True
    return bool(dirs) and dirs[-1] in ("changelog.d", "changes", "newsfragments", "changelog", "release-notes",
                                       "releasenotes")


def _suffix(name: str) -> str:
    """``PurePosixPath(name).suffix``, without building a path object per file."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def kind_of(rel: str) -> str | None:
    """Classify a file by its path; None for files no extractor reads."""
    parts = rel.split("/")  # discovery's paths: relative, "/"-separated, no empty parts
    name = parts[-1]
    lower = name.lower()
    suffix = _suffix(name).lower()
    if suffix in (".py", ".pyi") and suffix == ".py":
        return "python"
    if lower.startswith("dockerfile") or lower.endswith(".dockerfile") or lower.startswith("containerfile"):
        return "dockerfile"
    if suffix in (".yml", ".yaml"):
        if lower.startswith(("docker-compose", "compose")):
            return "compose"
        if len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows":
            return "workflow"
        if lower in (".gitlab-ci.yml", ".gitlab-ci.yaml") or "gitlab-ci" in lower:
            return "workflow"
        return "yaml"
    if suffix == ".toml":
        return "toml"
    if suffix == ".json":
        # only API descriptions, alert/dashboard provisioning and logging configs bear on the checklist
        if any(word in lower for word in ("openapi", "swagger", "alert", "rules", "logconf", "logging", "log_config",
                                          "log-config")):
            return "json"
        return None
    if (lower.startswith("requirements") and suffix in (".txt", ".in")) or (
        len(parts) > 1 and parts[-2] == "requirements" and suffix in (".txt", ".in")
    ):
        return "requirements"
    if suffix in (".md", ".rst", ".markdown"):
        return "markdown"
    if suffix in (".ini", ".cfg"):
        return "ini"
    if lower.startswith(".env") or lower.endswith(".env") or lower == "env.example":
        return "env"
    in_nginx_dir = any(part.lower() in ("nginx", "sites-available", "sites-enabled", "conf.d") for part in parts[:-1])
    if suffix in (".conf", ".nginx") or lower.startswith("nginx") or (in_nginx_dir and suffix in ("", ".template")):
        return "conf"
    if lower in ("makefile", "justfile", "pipfile", "jenkinsfile", "tiltfile") or lower.startswith("procfile"):
        return "text"
    if suffix in (".js", ".mjs", ".css") and (".min." in lower or lower.endswith(("-min.js", ".bundle.js"))):
        return None  # minified or bundled assets are build output, never the team's own evidence
    if suffix in (".sh", ".bash", ".tf", ".hcl", ".jmx", ".js", ".ts", ".lua", ".sql", ".cron", ".service", ".txt",
                  ".properties"):
        return "text"
    if "crontab" in lower or "logrotate" in lower or lower.startswith("locustfile"):
        return "text"
    return None


def _utf8(name: str) -> bool:
    """Whether a file name decoded from the file system is valid UTF-8 (no escaped bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shebang_kind(path: str) -> str | None:
    """Kind of an extensionless script from its ``#!`` line: Python, or a shell script (text)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(128)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    line = head.split(b"\n", 1)[0]
    if b"python" in line:
        return "python"
    if any(shell in line for shell in (b"sh", b"bash")):
        return "text"
    return None


class _Ignore:
    """Stacked .gitignore specs, each relative to the folder that holds it."""

    def __init__(self) -> None:
        self.specs: list[tuple[str, pathspec.PathSpec]] = []

    def push(self, base: str, text: str) -> None:
        import pathspec  # here: worker processes use this module's types, never .gitignore

        spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
        self.specs.append((base, spec))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        for base, spec in self.specs:
            if base and not (rel == base or rel.startswith(base + "/")):
                continue
            sub = rel[len(base) + 1 :] if base else rel
            if not sub:
                continue
            if spec.match_file(sub + "/" if is_dir else sub):
                return True
        return False


def discover(
    root: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    exclude: list[str] | None = None,
    include: list[str] | None = None,
) -> Discovery:
    """List the files under root, sorted by path: each with the kind of extractor that reads it
    (``other`` when none does) and its role."""
    root = root.resolve()
    result = Discovery()
    ignore = _Ignore()
    exclude = exclude or []
    real_root = os.path.realpath(root)
    seen_dirs: set[tuple[int, int]] = set()

    def walk(directory: Path, rel_dir: str, depth: int = 0) -> None:
        if depth > MAX_FOLDER_DEPTH:
            result.warnings.append((rel_dir, f"skipped: folders nested more than {MAX_FOLDER_DEPTH} deep"))
            return
        try:
            st = directory.stat()
        except OSError as exc:
            result.warnings.append((rel_dir or ".", f"cannot read folder: {exc.strerror}"))
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            return
        seen_dirs.add(key)
        gitignore = directory / ".gitignore"
        pushed = False
        if gitignore.is_file() and not gitignore.is_symlink():
            try:
                text = read_regular(gitignore, max_file_bytes).decode("utf-8", errors="replace")
                ignore.push(rel_dir, text)
                pushed = True
            except OSError as exc:
                where = f"{rel_dir}/.gitignore" if rel_dir else ".gitignore"
                result.warnings.append((where, f"not read: {exc.strerror or exc}"))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            result.warnings.append((rel_dir or ".", f"cannot list folder: {exc.strerror}"))
            entries = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if not _utf8(entry.name):  # a report path must be text: show the bytes escaped, skip the entry
                shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                result.warnings.append((shown, "skipped: the name is not valid UTF-8"))
                continue
            if any(fnmatch(rel, pat) or fnmatch(rel + "/", pat) for pat in exclude):
                continue
            try:
                is_link = entry.is_symlink()
                if is_link:
                    target = os.path.realpath(entry.path)
                    try:
                        os.stat(entry.path)
                    except OSError as exc:
                        loop = exc.errno == errno.ELOOP
                        result.warnings.append((rel, "symlink loop; not followed" if loop
                                                else "broken symlink; not followed"))
                        continue
                    if not (target == real_root or target.startswith(real_root + os.sep)):
                        result.warnings.append((rel, "symlink points outside the scanned root; not followed"))
                        continue
                    if os.path.isdir(target):
                        continue  # linked folders are reached through their real path
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                        continue
                    if entry.name in BUILD_DIRS and (
                        not rel_dir or any((directory / name).is_file() for name in PROJECT_FILES)
                    ):
                        continue
                    if (Path(entry.path) / "pyvenv.cfg").exists():
                        continue
                    if ignore.ignored(rel, True):
                        continue
                    walk(Path(entry.path), rel, depth + 1)
                    continue
                st = os.stat(entry.path)
                st_mode = st.st_mode
            except OSError as exc:
                result.warnings.append((rel, f"cannot stat: {exc.strerror}"))
                continue
            if not stat.S_ISREG(st_mode):
                what = next((name for test, name in _SPECIAL if test(st_mode)), None)
                if what is not None and not ignore.ignored(rel, False):
                    result.warnings.append((rel, f"skipped: {what}, not a regular file"))
                continue
            if ignore.ignored(rel, False):
                continue
            if include and not any(fnmatch(rel, pat) for pat in include):
                continue
            role = role_of(rel)
            kind: str | None = None
            if never_evidence(rel):
                role = META_ROLE  # named by a team's own rule only: never evidence otherwise
            else:
                kind = kind_of(rel)
                if kind is None and "." not in entry.name:
                    kind = shebang_kind(entry.path)
            kind = kind or OTHER_KIND
            size = st.st_size
            if size > max_file_bytes:
                if kind != OTHER_KIND:  # a large image or archive is no extractor's business
                    result.warnings.append((rel, f"skipped: {size} bytes is over the {max_file_bytes}-byte limit"))
                continue
            result.files.append(SourceFile(path=rel, kind=kind, role=role, size=size))
        if pushed:
            ignore.specs.pop()

    walk(root, "")
    result.files.sort(key=lambda f: f.path)
    return result
