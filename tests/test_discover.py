"""Discovery: .gitignore, skipped trees, roles, symlinks."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.engine.discover import discover, kind_of, role_of
from auditor.facts import FileFacts
from auditor.rules.tiers import deployed_commands, evidence_tier


def write(root: Path, rel: str, text: str = "x = 1\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_gitignore_and_environments_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "secret_dir/\n*.gen.py\n!keep.gen.py\n")
    write(tmp_path, "app/main.py")
    write(tmp_path, "secret_dir/a.py")
    write(tmp_path, "app/x.gen.py")
    write(tmp_path, "app/keep.gen.py")
    write(tmp_path, "node_modules/pkg/index.py")
    write(tmp_path, "myenv/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "myenv/lib/site.py")
    write(tmp_path, "build/lib/app.py")
    write(tmp_path, "sub/.gitignore", "local.py\n")
    write(tmp_path, "sub/local.py")
    write(tmp_path, "sub/other.py")
    paths = [f.path for f in discover(tmp_path).files]
    assert paths == [".gitignore", "app/keep.gen.py", "app/main.py", "sub/.gitignore", "sub/other.py"]


def test_roles_follow_the_ground_rules() -> None:
    assert role_of("tests/test_api.py") == "test"
    assert role_of("app/test_utils.py") == "test"
    assert role_of("conftest.py") == "test"
    assert role_of("core/factories.py") == "test"  # model factories build test data
    assert role_of("app/factory.py") == "runtime"  # an application factory is the service's own
    assert role_of("app/api_test.py") == "test"
    assert role_of("docs/conf.py") == "docs"
    assert role_of("docs_src/tutorial/main.py") == "docs"
    assert role_of("examples/app.py") == "docs"
    assert role_of("app/main.py") == "runtime"
    # suites split by kind or environment are test code too; names that only contain the word are not
    assert role_of("bookmarks/tests_e2e/e2e_test_bulk_edit.py") == "test"
    assert role_of("frontend/e2e/login.spec.ts") == "test"
    assert role_of("integration-tests/conftest_helpers.py") == "test"
    assert role_of("scripts/test-environments/oidc/compose.yml") == "test"
    assert role_of("app/latest/views.py") == "runtime"
    assert role_of("app/contests/models.py") == "runtime"
    assert role_of("app/testimonials/views.py") == "runtime"


def test_migration_revisions_and_developer_tooling_have_their_own_roles() -> None:
    assert role_of("alembic/versions/1a2b_init.py") == "migration"
    assert role_of("shop/migrations/0001_initial.py") == "migration"
    assert role_of("app/db/revisions/core/env.py") == "migration"
    assert role_of("tests/migrations/test_0002.py") == "test"  # tests stay tests
    assert role_of("app/plugins/migrations.py") == "runtime"  # a module named so is code
    assert role_of("dev/scripts/gen_locales.py") == "tooling"
    assert role_of(".devcontainer/docker-compose.yml") == "tooling"
    assert role_of("app/themes/admin/vite.config.js") == "tooling"
    assert role_of("app/static/js/upload.js") == "tooling"
    assert role_of("populate.py") == "tooling"
    assert role_of("shop/management/commands/seed_db.py") == "tooling"
    assert role_of("site/management/commands/populate_searchdb.py") == "tooling"
    assert role_of("app/services/population.py") == "runtime"
    assert role_of("app/services/seeder_service.py") == "runtime"  # a feature that seeds is the service's
    assert role_of("app/core/settings/themes.py") == "runtime"
    # a CI step's script (named for CI) is the pipeline's; words that only contain the letters are not
    assert role_of("db/create_ci_test_db.py") == "tooling"
    assert role_of("scripts/run-ci.sh") == "tooling"
    assert role_of("app/civic/cities.py") == "runtime"
    assert role_of("app/decisions/cid_lookup.py") == "runtime"
    # a developer's probe of the service (stress, fuzz, bomb, seed runs) named by a word of its name
    assert role_of("scripts/stress_seed.py") == "tooling"
    assert role_of("app/management/commands/send_bomb.py") == "tooling"
    assert role_of("tools/fuzz-api.sh") == "tooling"
    assert role_of("app/services/stressors.py") == "runtime"  # a word that only contains one is not
    assert role_of("app/bombay/offices.py") == "runtime"
    # a command that fills the database with fake data (Faker) is a seeder too
    assert role_of("app/management/commands/fake.py") == "tooling"
    assert role_of("scripts/fake_users.py") == "tooling"
    assert role_of("app/fakeredis_compat.py") == "runtime"  # a word that only contains it is not


def test_evidence_tiers_put_the_running_service_first() -> None:
    assert evidence_tier("app/db.py", "runtime") == 0
    assert evidence_tier("Dockerfile", "runtime") == 0
    assert evidence_tier("scripts/backup.sh", "runtime") == 1
    assert evidence_tier("src/scripts/create_first_user.py", "runtime") == 1
    assert evidence_tier("alembic/versions/1a2b_init.py", "migration") == 1
    # a Django management command is run by an operator beside the service, like a script
    assert evidence_tier("bsmain/management/commands/send_json.py", "runtime") == 1
    assert evidence_tier("app/management/__init__.py", "runtime") == 0
    assert evidence_tier("app/commands/export.py", "runtime") == 0
    assert evidence_tier("dev/probe.py", "tooling") == 2
    assert evidence_tier("tests/test_api.py", "test") == 2
    assert evidence_tier("docs/deploy.md", "docs") == 3


def test_a_management_command_the_deployment_runs_is_runtime(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "uwsgi.ini").write_text("[uwsgi]\nattach-daemon = ./manage.py sendalerts --loop\n")
    (tmp_path / "Procfile").write_text("worker: python manage.py process_tasks\n")
    (tmp_path / "README.md").write_text("run `manage.py cleanup` now and then\n")
    files = [
        FileFacts("docker/uwsgi.ini", "ini", "runtime"),
        FileFacts("Procfile", "text", "runtime"),
        FileFacts("README.md", "markdown", "docs"),
        FileFacts("hc/api/management/commands/sendalerts.py", "python", "runtime"),
    ]
    deployed = deployed_commands(files, tmp_path)
    assert deployed == {"sendalerts", "process_tasks"}  # a README's mention starts nothing
    assert evidence_tier("hc/api/management/commands/sendalerts.py", "runtime", deployed) == 0
    assert evidence_tier("hc/api/management/commands/cleanup.py", "runtime", deployed) == 1
    # without a management command in the tree, no deployment file is read
    assert deployed_commands(files[:3], tmp_path) == frozenset()


def test_settings_for_development_test_or_ci_stand_behind_the_production_settings() -> None:
    for rel in ("proj/settings/dev.py", "proj/settings/local_dev.py", "config/django/test.py",
                "app/core/settings/development.py", "conf/testing.py", "proj/settings/ci.py",
                "config/settings_dev.py", "proj/settings/local_settings.py"):
        assert evidence_tier(rel, "runtime") == 1, rel
    for rel in ("proj/settings/prod.py", "proj/settings/base.py", "config/django/production.py",
                "app/test.py", "app/dev.py", "app/config.py", "proj/settings/__init__.py"):
        assert evidence_tier(rel, "runtime") == 0, rel


def test_templates_changelogs_licences_and_auditor_config_are_listed_only_as_meta(tmp_path: Path) -> None:
    for rel in (".github/ISSUE_TEMPLATE/bug.yml", ".github/PULL_REQUEST_TEMPLATE.md", "CHANGELOG.md",
                "docs/changelog.rst", "LICENSE", "LICENSE.txt", "COPYING", "changes/123.feature.md",
                ".auditor.yaml", "app/history.py", "app/main.py", "docs/backups.md"):
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x = 1\n")
    found = discover(tmp_path).files
    assert [f.path for f in found if f.role != "meta"] == ["app/history.py", "app/main.py", "docs/backups.md"]
    assert all(f.kind == "other" for f in found if f.role == "meta")  # no facts: a team's rule may name them


def test_kinds() -> None:
    assert kind_of("Dockerfile") == "dockerfile"
    assert kind_of("deploy/api.Dockerfile") == "dockerfile"
    assert kind_of("docker-compose.prod.yml") == "compose"
    assert kind_of(".github/workflows/ci.yml") == "workflow"
    assert kind_of(".gitlab-ci.yml") == "workflow"
    assert kind_of("requirements/dev.txt") == "requirements"
    assert kind_of("requirements-dev.txt") == "requirements"
    assert kind_of("pyproject.toml") == "toml"
    assert kind_of("README.md") == "markdown"
    assert kind_of("image.png") is None


def test_symlinks_out_of_root_and_loops_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    write(outside, "evil.py")
    write(root, "app/main.py")
    os.symlink(outside / "evil.py", root / "app" / "link.py")
    os.symlink(root / "app", root / "app" / "loop")
    os.symlink(root / "missing.py", root / "dangling.py")
    found = discover(root)
    assert [f.path for f in found.files] == ["app/main.py"]
    reasons = dict(found.warnings)
    assert "outside the scanned root" in reasons["app/link.py"]
    assert "broken symlink" in reasons["dangling.py"]


def test_large_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "big.py", "x = 1\n" * 1000)
    found = discover(tmp_path, max_file_bytes=100)
    assert found.files == []
    assert "over the 100-byte limit" in found.warnings[0][1]


def test_nginx_site_files_without_extension_are_config() -> None:
    assert kind_of("deployment/nginx/microblog") == "conf"
    assert kind_of("etc/nginx/sites-available/app") == "conf"
    assert kind_of("app/nginx_helpers.py") == "python"


def test_load_test_suites_are_test_code() -> None:
    assert role_of("loadtests/locustfile.py") == "test"
    assert role_of("loadtests/bare_app.py") == "test"


def test_build_output_is_skipped_only_at_project_roots(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, "build/lib/app.py")
    write(tmp_path, "dist/app.py")
    write(tmp_path, "scripts/build/config/settings.toml", "prefix = '/api/v1'\n")
    write(tmp_path, "pkg/setup.py", "")
    write(tmp_path, "pkg/build/x.py")
    paths = [f.path for f in discover(tmp_path).files]
    assert "scripts/build/config/settings.toml" in paths
    assert not any(p.startswith(("build/", "dist/", "pkg/build/")) for p in paths)


def test_extensionless_scripts_are_classified_by_their_shebang(tmp_path: Path) -> None:
    write(tmp_path, "scripts/postgres/backup", "#!/bin/sh\npg_dump \"$DATABASE_URL\" > /backup/db.sql\n")
    write(tmp_path, "bin/manage", "#!/usr/bin/env python3\nimport os\n")
    write(tmp_path, "LICENSE", "MIT\n")
    kinds = {f.path: f.kind for f in discover(tmp_path).files}
    assert {path: kind for path, kind in kinds.items() if kind != "other"} == {
        "scripts/postgres/backup": "text", "bin/manage": "python"}
