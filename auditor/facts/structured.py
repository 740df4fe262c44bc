"""Facts from structured config files: YAML (compose, workflows, Kubernetes, Prometheus rules,
Helm templates where they parse), TOML and JSON, flattened to dotted keys with line numbers.

Fact types:

- ``key``   ``path``: dotted key path, list items by index (``services.web.healthcheck``,
            ``jobs.test.steps.2.uses``), ``value``: the scalar (str/int/float/bool/None) or
            None for a mapping or list, ``doc``: the document index in a multi-document file.
- ``dependency`` ``name``: a normalised distribution name declared in pyproject.toml
            (PEP 621, Poetry, dependency groups) or setup.cfg ``install_requires``.

The kind of a generic YAML file is refined from its content: ``k8s`` (``apiVersion`` and
``kind``), ``prometheus`` (``groups[].rules[]`` with ``alert``/``record``), ``helm`` (a chart
template; parsed after template directives are blanked when possible).
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import yaml

from auditor.facts import Fact

DEFAULT_MAX_NODES = 200_000


class StructureError(ValueError):
    """A config file that does not parse, or is too large to flatten."""


def normalise_dist(name: str) -> str:
    """A distribution name as PEP 503 compares them: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower().strip()


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(spec: str) -> str | None:
    """The distribution a requirement names, normalised: a PEP 508 specifier (extras, versions,
    markers, ``name @ url``) is read by ``packaging``; what it refuses (a bare poetry table key
    with odd characters, a pip option line's remainder) by its leading name, if any."""
    from packaging.requirements import InvalidRequirement, Requirement  # here: only dependency files need it

    try:
        return normalise_dist(Requirement(spec).name)
    except InvalidRequirement:
        m = _REQ_NAME.match(spec)
        return normalise_dist(m.group(1)) if m else None


# -- YAML -----------------------------------------------------------------------------------


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if tag.endswith(":int"):
        try:
            return int(value, 0)
        except ValueError:
            return value
    if tag.endswith(":bool"):
        return value.lower() in ("true", "yes", "on")
    if tag.endswith(":null"):
        return None
    if tag.endswith(":float"):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _flatten_yaml(node: yaml.Node, path: str, doc: int, facts: list[Fact], budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise StructureError("more YAML nodes than the limit (alias bomb or huge file)")
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        if path:
            facts.append({"t": "key", "path": path, "value": None, "line": line, "doc": doc})
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = str(key_node.value)
            else:
                key = "?"
            if key == "<<":
                _flatten_yaml(value_node, path, doc, facts, budget)
                continue
            sub = f"{path}.{key}" if path else key
            if isinstance(value_node, yaml.ScalarNode):
                budget[0] -= 1
                facts.append({"t": "key", "path": sub, "value": _scalar(value_node),
                              "line": key_node.start_mark.line + 1, "doc": doc})
            else:
                facts.append({"t": "key", "path": sub, "value": None,
                              "line": key_node.start_mark.line + 1, "doc": doc})
                _flatten_children(value_node, sub, doc, facts, budget)
    elif isinstance(node, yaml.SequenceNode):
        _flatten_children(node, path, doc, facts, budget)
    elif isinstance(node, yaml.ScalarNode):
        facts.append({"t": "key", "path": path, "value": _scalar(node), "line": line, "doc": doc})


def _flatten_children(node: yaml.Node, path: str, doc: int, facts: list[Fact], budget: list[int]) -> None:
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _flatten_yaml(item, f"{path}.{index}" if path else str(index), doc, facts, budget)
    else:
        _flatten_yaml(node, path, doc, facts, budget)


_TEMPLATE_LINE = re.compile(r"^\s*\{\{-?.*-?\}\}\s*$")
_TEMPLATE_INLINE = re.compile(r"\{\{-?.*?-?\}\}")


def _blank_templates(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if _TEMPLATE_LINE.match(line):
            lines.append("")
        else:
            lines.append(_TEMPLATE_INLINE.sub("TEMPLATE", line))
    return "\n".join(lines)


class _BudgetLoader(yaml.SafeLoader):
    """A safe loader that stops composing after ``budget`` nodes (alias uses count), bounding memory."""

    def __init__(self, stream: str, budget: int) -> None:
        super().__init__(stream)
        self.node_budget = budget

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.node_budget -= 1
        if self.node_budget < 0:
            raise StructureError("more YAML nodes than the limit (alias bomb or huge file)")
        return super().compose_node(parent, index)


_CLoader: Any = getattr(yaml, "CSafeLoader", None)  # libyaml: about 13 times faster than the pure-Python loader
_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)


def _documents(source: str, max_nodes: int) -> Iterator[yaml.Node | None]:
    """Each document's node graph; StructureError once more than ``max_nodes`` nodes are seen.

    With libyaml the events are counted first (streamed, so memory stays flat), then composed in C.
    """
    if _CLoader is None:
        loader = _BudgetLoader(source, max_nodes)
        try:
            while loader.check_node():
                yield loader.get_node()
        finally:
            loader.dispose()
        return
    count = 0
    for event in yaml.parse(source, Loader=_CLoader):
        if isinstance(event, _NODE_EVENTS):
            count += 1
            if count > max_nodes:
                raise StructureError("more YAML nodes than the limit (alias bomb or huge file)")
    yield from yaml.compose_all(source, Loader=_CLoader)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """How many nodes flattening would visit, aliases expanded; stops counting past ``limit``.

    Shared (aliased) nodes are sized once, so a billion-laughs bomb is measured in microseconds
    instead of being flattened until the budget runs out.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # being sized: meeting one again means the graph has a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children: list[yaml.Node] = (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else list(node.value))
        if not expanded:
            if id(node) in open_nodes:
                return limit + 1  # a recursive alias (&a [*a]) expands without end
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        open_nodes.discard(id(node))
        sizes[id(node)] = min(1 + sum(sizes.get(id(child), 0) for child in children), limit + 1)
    return sizes[id(root)]


# Where compose files and workflows need a mapping: (kind, top-level key); "" is the document itself.
_MAPPINGS = (("compose", ""), ("compose", "services"), ("workflow", ""), ("workflow", "jobs"))


def _shape_problem(kind: str, doc: int, node: yaml.Node) -> str | None:
    """Why a compose file or workflow has the wrong shape (a list where a mapping belongs), or None."""
    if kind not in ("compose", "workflow"):
        return None
    what = "compose file" if kind == "compose" else "workflow"
    where = f" (document {doc + 1})" if doc else ""
    if not isinstance(node, yaml.MappingNode):
        return f"{what} of the wrong shape{where}: the top level is {_node_name(node)}, expected a mapping"
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if (kind, key) in _MAPPINGS and not isinstance(value_node, yaml.MappingNode) and value_node.tag != (
                "tag:yaml.org,2002:null"):
            return (f"{what} of the wrong shape{where}: line {key_node.start_mark.line + 1}: {key!r} is "
                    f"{_node_name(value_node)}, expected a mapping")
    return None


def _node_name(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return "a scalar"


def extract_yaml(text: str, kind: str, max_nodes: int = DEFAULT_MAX_NODES) -> tuple[str, list[Fact]]:
    """Flatten every document; returns the refined kind and the facts.

    Raises StructureError for invalid YAML, more than ``max_nodes`` nodes, and compose files or
    workflows of the wrong shape.
    """
    templated = "{{" in text
    source = _blank_templates(text) if templated else text
    facts: list[Fact] = []
    budget = [max_nodes]
    try:
        for doc, node in enumerate(_documents(source, max_nodes)):
            if node is not None:
                problem = _shape_problem(kind, doc, node)
                if problem is not None:
                    raise StructureError(problem)
                if _expanded_size(node, budget[0]) > budget[0]:
                    raise StructureError("more YAML nodes than the limit (alias bomb or huge file)")
                _flatten_yaml(node, "", doc, facts, budget)
    except yaml.YAMLError as exc:
        if templated:
            return "helm", []
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StructureError(f"invalid YAML: {where}{problem}") from None
    except RecursionError:
        raise StructureError("YAML nested too deeply") from None
    if kind == "yaml":
        kind = _refine_kind(facts, templated)
    return kind, facts


def _refine_kind(facts: list[Fact], templated: bool) -> str:
    paths = {(f["doc"], f["path"]) for f in facts}
    docs = {f["doc"] for f in facts}
    if any((d, "apiVersion") in paths and (d, "kind") in paths for d in docs):
        return "helm" if templated else "k8s"
    if any(re.fullmatch(r"groups\.\d+\.rules\.\d+\.(alert|record)", f["path"]) for f in facts):
        return "prometheus"
    if any(path in ("openapi", "swagger") for _, path in paths):
        return "yaml"  # an API description: "{{" there is a URL or text template, not a chart's
    return "helm" if templated else "yaml"


# -- TOML and JSON ---------------------------------------------------------------------------


def _flatten_plain(value: Any, path: str, facts: list[Fact], lines: _KeyLines, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise StructureError("more keys than the limit")
    if isinstance(value, dict):
        if path:
            facts.append({"t": "key", "path": path, "value": None, "line": lines.find(path), "doc": 0})
        for key, sub in value.items():
            _flatten_plain(sub, f"{path}.{key}" if path else str(key), facts, lines, budget)
    elif isinstance(value, list):
        facts.append({"t": "key", "path": path, "value": None, "line": lines.find(path), "doc": 0})
        for index, item in enumerate(value):
            _flatten_plain(item, f"{path}.{index}", facts, lines, budget)
    else:
        if not isinstance(value, (str, int, float, bool)) and value is not None:
            value = str(value)
        facts.append({"t": "key", "path": path, "value": value, "line": lines.find(path), "doc": 0})


_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
_TOML_KEY = re.compile(r'^\s*("[^"]*"|[A-Za-z0-9_.\-]+)\s*=')
_TOML_TABLE = re.compile(r'^\s*\[\[?\s*([^\]]+?)\s*\]\]?')


class _KeyLines:
    """Lines of dotted keys in TOML/JSON text, whose parsers give no positions.

    One pass indexes where each key name and table header appears; a key's line is the first
    occurrence of its last name at or after its parent's line (found the same way, memoised),
    so a lookup costs a bisection instead of a scan of the file.
    """

    def __init__(self, text: str) -> None:
        self.keys: dict[str, list[int]] = {}
        self.tables: dict[str, int] = {}
        self.memo: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), 1):
            table = _TOML_TABLE.match(line)
            if table:
                self.tables.setdefault(table.group(1).replace('"', "").replace(" ", ""), number)
            names = [m.group(1) for m in _JSON_KEY.finditer(line)]
            toml = _TOML_KEY.match(line)
            if toml:
                dotted = toml.group(1).strip('"')
                names += [dotted, dotted.rsplit(".", 1)[-1]]
            for name in names:
                found = self.keys.setdefault(name, [])
                if not found or found[-1] != number:
                    found.append(number)

    def find(self, path: str) -> int:
        if path in self.memo:
            return self.memo[path]
        parts = [p for p in path.split(".") if not p.isdigit()]
        line = 1
        if parts:
            dotted = ".".join(parts)
            if dotted in self.tables:
                line = self.tables[dotted]
            else:
                parent = self.find(path.rsplit(".", 1)[0]) if "." in path else 1
                candidates = self.keys.get(parts[-1]) or self.keys.get(dotted) or []
                at = bisect.bisect_left(candidates, parent)
                if at < len(candidates):
                    line = candidates[at]
                elif candidates:
                    line = candidates[0]
        self.memo[path] = line
        return line


def extract_toml(text: str, path: str, max_nodes: int = DEFAULT_MAX_NODES) -> list[Fact]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StructureError(f"invalid TOML: {exc}") from None
    except RecursionError:
        raise StructureError("TOML nested too deeply") from None
    except ValueError as exc:  # an integer too long to convert
        raise StructureError(f"invalid TOML: {str(exc).splitlines()[0][:120]}") from None
    lines = text.splitlines()
    facts: list[Fact] = []
    try:
        _flatten_plain(data, "", facts, _KeyLines(text), [max_nodes])
    except RecursionError:
        raise StructureError("TOML nested too deeply") from None
    if path.rsplit("/", 1)[-1] == "pyproject.toml":
        facts.extend(_pyproject_dependencies(data, lines))
    return facts


def _dep_line(name: str, lines: list[str]) -> int:
    pat = re.compile(r"(^|[\"'\s])" + re.escape(name).replace(r"\-", "[-_.]") + r"([\s\"'<>=!~\[;@]|$)", re.I)
    for i, line in enumerate(lines):
        if pat.search(line):
            return i + 1
    return 1


def _pyproject_dependencies(data: dict[str, Any], lines: list[str]) -> list[Fact]:
    specs: list[str] = []
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    specs += [s for s in project.get("dependencies", []) if isinstance(s, str)]
    for group in (project.get("optional-dependencies") or {}).values():
        if isinstance(group, list):
            specs += [s for s in group if isinstance(s, str)]
    for group in (data.get("dependency-groups") or {}).values():
        if isinstance(group, list):
            specs += [s for s in group if isinstance(s, str)]
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        for table in (poetry.get("dependencies"), poetry.get("dev-dependencies")):
            if isinstance(table, dict):
                specs += [k for k in table if k.lower() != "python"]
        for group in (poetry.get("group") or {}).values():
            if isinstance(group, dict) and isinstance(group.get("dependencies"), dict):
                specs += list(group["dependencies"])
    facts = []
    for spec in specs:
        name = requirement_name(spec)
        if name:
            facts.append({"t": "dependency", "name": name, "line": _dep_line(name, lines)})
    return facts


def extract_json(text: str, max_nodes: int = DEFAULT_MAX_NODES) -> list[Fact]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise StructureError("JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise StructureError(f"invalid JSON: {str(exc).splitlines()[0][:120]}") from None
    facts: list[Fact] = []
    try:
        _flatten_plain(data, "", facts, _KeyLines(text), [max_nodes])
    except RecursionError:
        raise StructureError("JSON nested too deeply") from None
    return facts


def extract_requirements(text: str) -> list[Fact]:
    facts = []
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.split("#", 1)[0].strip()
        if not stripped or stripped.startswith("-"):
            continue
        name = requirement_name(stripped)
        if name:
            facts.append({"t": "dependency", "name": name, "line": i})
    return facts


def extract_setup_cfg(text: str) -> list[Fact]:
    facts = []
    inside = False
    for i, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\s*install_requires\s*=", line) or (re.match(r"^\s*\w[\w-]*\s*=\s*$", line) and inside):
            inside = True
            rest = line.split("=", 1)[1].strip()
            if rest and (name := requirement_name(rest)):
                facts.append({"t": "dependency", "name": name, "line": i})
            continue
        if inside:
            if line[:1].isspace() and line.strip():
                name = requirement_name(line.strip())
                if name:
                    facts.append({"t": "dependency", "name": name, "line": i})
            elif line.strip():
                inside = False
    return facts
