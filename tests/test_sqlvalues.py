"""Values formatted into SQL: which are fixed by the code, and where bandit's B608 finds them."""

from __future__ import annotations

import ast

import pytest

from auditor.facts.bandit import bandit_facts
from auditor.facts.sqlvalues import any_variable, fixed_value, formatted_values, literal_names


@pytest.mark.parametrize("text", ["TABLE", "settings.TABLE_NAME", "Product._meta.db_table", "self.model._meta.db_table",
                                  "User.__tablename__", "cls.__table__.name", "placeholders", "'items'", "10"])
def test_fixed_values(text: str) -> None:
    assert fixed_value(text)


@pytest.mark.parametrize("text", ["name", "request.GET['q']", "table", "self.table_name", "db_table", "f(x)"])
def test_values_that_may_come_from_input(text: str) -> None:
    assert not fixed_value(text)


def test_any_variable_needs_one_input_value() -> None:
    assert not any_variable(["TABLE", "Model._meta.db_table"])
    assert any_variable(["TABLE", "name"])


@pytest.mark.parametrize(("source", "values"), [
    ("q = 'SELECT * FROM %s WHERE id = %s' % (T._meta.db_table, uid)", ["T._meta.db_table", "uid"]),
    ("q = f'SELECT * FROM {T.__tablename__}'", ["T.__tablename__"]),
    ("q = 'SELECT * FROM {} WHERE a = {}'.format(TABLE, a)", ["TABLE", "a"]),
    ("q = 'SELECT * FROM ' + TABLE + ' WHERE a = ' + a", ["TABLE", "a"]),
    ("q = 'SELECT 1'", None),
])
def test_formatted_values(source: str, values: list[str] | None) -> None:
    assert formatted_values(ast.parse(source), [1]).get(1) == values


def test_b608_findings_carry_what_they_format() -> None:
    source = (
        "def count(cursor, Model, name):\n"
        "    cursor.execute(\"SELECT reltuples FROM pg_class WHERE relname = '%s'\" % Model._meta.db_table)\n"
        "    cursor.execute(\"SELECT * FROM items WHERE owner = '%s'\" % name)\n"
    )
    facts = [f for f in bandit_facts(ast.parse(source), source.encode(), "app/db.py") if f["test_id"] == "B608"]
    assert [(f["line"], f.get("formatted")) for f in facts] == [
        (2, ["Model._meta.db_table"]), (3, ["name"])]


def test_names_only_ever_assigned_literals_are_fixed() -> None:
    facts = [
        {"t": "assign", "target": "base_sql", "value": "SELECT a FROM t", "op": "="},
        {"t": "assign", "target": "limit", "value": 10, "op": "="},
        {"t": "assign", "target": "query", "value": "SELECT 1", "op": "="},
        {"t": "assign", "target": "query", "value": {"expr": "BinaryOperation"}, "op": "="},
        {"t": "assign", "target": "where", "value": " AND x", "op": "+="},
    ]
    literals = literal_names(facts)
    assert literals == {"base_sql", "limit"}
    assert not any_variable(["base_sql", "limit"], literals)
    assert any_variable(["base_sql", "query"], literals)
    assert any_variable(["where"], literals)
