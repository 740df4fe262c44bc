"""Evidence selection: spans the matching conditions and files, strongest file first."""

from __future__ import annotations

from auditor.matchers.index import Hit
from auditor.rules.evaluator import strength_of
from auditor.rules.evidence import key_names, select_evidence


def test_each_condition_names_its_strongest_file_first() -> None:
    hits = [
        Hit("app/a.py", 3, leaf=0),
        Hit("app/models.py", 10, leaf=0),
        Hit("app/models.py", 20, leaf=0),
        Hit("app/models.py", 30, leaf=0),
        Hit("alembic.ini", 1, leaf=1),
    ]
    assert select_evidence(hits, limit=3) == [("app/models.py", 10), ("alembic.ini", 1), ("app/a.py", 3)]


def test_fills_with_more_lines_when_files_run_out() -> None:
    hits = [Hit("x.py", n, leaf=0) for n in (9, 3, 5)]
    assert select_evidence(hits, limit=5) == [("x.py", 3), ("x.py", 5), ("x.py", 9)]


def test_deterministic_whatever_the_order_of_a_conditions_hits() -> None:
    hits = [Hit(f"f{i % 4}.py", i, leaf=i % 2) for i in range(20)]
    reordered = [h for leaf in (0, 1) for h in reversed(hits) if h.leaf == leaf]
    assert select_evidence(hits) == select_evidence(reordered)


def test_conditions_take_turns_in_the_rules_order_not_by_leaf_number() -> None:
    # leaf 7 was numbered first by another rule that shares it; this rule lists leaf 2 first
    hits = [Hit("app/deps.py", 7, leaf=2), Hit("app/pre_start.py", 5, leaf=7), Hit("app/pre_start.py", 9, leaf=7)]
    assert select_evidence(hits)[0] == ("app/deps.py", 7)


def test_the_primary_file_is_cited_before_its_variants() -> None:
    hits = [Hit("compose.deploy.yml", 12, leaf=0), Hit("compose.deploy.yml", 40, leaf=0),
            Hit("compose.yml", 29, leaf=0), Hit("docker/Dockerfile.dev", 1, leaf=1),
            Hit("docker/Dockerfile", 3, leaf=1),
            Hit(".env.example", 2, leaf=2), Hit("config/.env", 2, leaf=2)]
    # .env.example has no .env beside it: not a variant of the one in another folder
    assert select_evidence(hits, limit=3) == [("compose.yml", 29), ("docker/Dockerfile", 3), (".env.example", 2)]


def test_presence_conditions_are_cited_after_use() -> None:
    hits = [Hit("app/errors.py", 1, leaf=0), Hit("app/api/items.py", 12, leaf=1)]
    assert select_evidence(hits, strength={0: 2})[0] == ("app/api/items.py", 12)


def test_the_service_runtime_is_cited_before_scripts_tests_and_docs() -> None:
    tiers = {"scripts/seed_users.py": 1, "tests/test_db.py": 2, "app/db.py": 0, "docs/db.md": 3}
    hits = [Hit("scripts/seed_users.py", 4, leaf=0), Hit("scripts/seed_users.py", 9, leaf=0),
            Hit("tests/test_db.py", 2, leaf=0), Hit("app/db.py", 30, leaf=0), Hit("docs/db.md", 1, leaf=1)]
    assert select_evidence(hits, tier=tiers.__getitem__) == [
        ("app/db.py", 30), ("docs/db.md", 1), ("scripts/seed_users.py", 4), ("tests/test_db.py", 2),
        ("scripts/seed_users.py", 9)]


def test_the_call_that_does_the_job_is_cited_before_the_definition_around_it() -> None:
    # leaf 0: the function definition (its first line), leaf 1: the call inside it
    hits = [Hit("app/retry.py", 10, leaf=0), Hit("app/retry.py", 14, leaf=1)]
    assert select_evidence(hits, strength={0: 1, 1: 0})[0] == ("app/retry.py", 14)


def test_strength_of_matchers() -> None:
    assert [strength_of(op) for op in ("python.call", "config.key", "python.class", "python.import",
                                       "file.exists", "dependency")] == [0, 0, 1, 2, 2, 2]


def test_a_definition_asked_to_cite_its_teardown_is_as_strong_as_a_call() -> None:
    from auditor.matchers import MATCHERS

    params = MATCHERS["python.function"].params
    assert strength_of("python.function", params.model_validate({"teardown": True})) == 0
    assert strength_of("python.function", params.model_validate({"yields": True})) == 1


def test_a_condition_can_say_what_its_hits_prove() -> None:
    from auditor.matchers import MATCHERS

    params = MATCHERS["python.function"].params
    assert strength_of("python.function", params.model_validate({"name": "create"})) == 1
    assert strength_of("python.function", params.model_validate({"name": "create", "strength": 0})) == 0
    assert strength_of("python.import", MATCHERS["python.import"].params.model_validate(
        {"name": "x", "strength": 1})) == 1


def test_the_central_file_is_cited_before_others_with_as_many_hits() -> None:
    # one hit in each route module: the one where the rule's centre conditions hold most goes
    # first (the first centre condition decides, the second breaks its ties), whatever the path
    hits = [Hit("app/api/posts.py", 19, leaf=0), Hit("app/api/users.py", 20, leaf=0),
            Hit("app/pages.py", 5, leaf=0)]
    centre = {"app/api/posts.py": (6, 6), "app/api/users.py": (10, 10), "app/pages.py": (0, 14)}
    assert select_evidence(hits, limit=1, centre=centre) == [("app/api/users.py", 20)]
    assert select_evidence(hits, limit=1) == [("app/api/posts.py", 19)]
    # a file the centre conditions do not reach ranks after those they do
    assert select_evidence([Hit("a.py", 1, leaf=0), Hit("b.py", 1, leaf=0)], centre={"b.py": (0, 1)})[0] == ("b.py", 1)


def test_the_most_used_definition_is_cited_first_across_and_within_files() -> None:
    # exception classes: the one raised or caught in the most files goes first, whatever the
    # path, and inside one module its line is cited rather than the module's first class
    hits = [Hit("app/billing.py", 1, "RoundingError", leaf=0), Hit("app/transports.py", 4, "TransportError", leaf=0),
            Hit("app/errors.py", 1, "Unused", leaf=0), Hit("app/errors.py", 9, "PermissionDenied", leaf=0)]
    uses = {"TransportError": 5, "PermissionDenied": 2, "RoundingError": 1}
    assert select_evidence(hits, uses=uses) == [
        ("app/transports.py", 4), ("app/errors.py", 9), ("app/billing.py", 1), ("app/errors.py", 1)]
    # without uses: the file with the most hits, its first line
    assert select_evidence(hits, limit=1) == [("app/errors.py", 1)]


def test_key_names_are_the_last_parts_of_each_name() -> None:
    assert key_names("hc.api.transports.TransportError") == ["TransportError"]
    assert key_names("KeyError,app.errors.NotFound") == ["KeyError", "NotFound"]
    assert key_names("errors.make()") == ["make"]
    assert key_names("") == []
