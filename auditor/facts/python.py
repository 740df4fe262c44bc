"""Python facts through LibCST: one parse per file, names resolved through the file's imports.

A name imported inside a function is that function's local: its uses there resolve through the
import above them (``from flask_limiter import Limiter`` in an ``if`` branch, a fallback
``from .no_limiter import Limiter`` in the ``else``), not through the file's last import of it;
uses elsewhere resolve through the module's own import of the name.

Fact types (all carry ``line`` and ``scope``, the dotted name of the enclosing
function/class or ``<module>``; a fact in the body of an ``if`` that holds in debug mode only,
``if app.debug:`` or ``if settings.DEBUG:``, also carries ``dev``: development code, which the
fact index leaves out):

- ``import``    ``name``: the fully qualified imported name (``sqlalchemy.orm.Session``).
- ``call``      ``name``: callee resolved through imports (``sqlalchemy.create_engine``;
                method calls keep their receiver text, ``engine.dispose``; a call in a
                chain is marked ``()``, ``structlog.get_logger().info``), ``args``:
                positional values, ``kw``: keyword name -> value, ``kwl``: keyword name ->
                line, for the keywords of a multi-line call that sit below its first line
                (``pool_pre_ping=True`` on its own line); ``recv``, when known,
                what the method's receiver is: the one callee the file assigns it from
                (``self._lock = filelock.FileLock(...)`` gives ``filelock.FileLock``) or the
                annotation of the enclosing function's parameter of that name.
- ``decorator`` ``name``, ``args``, ``kw``, ``kwl`` like a call (a bare decorator has no args),
                ``target``: the decorated function or class.
- ``function``  ``name``, ``async``, ``params`` (name, ``ann``: names in the annotation,
                ``default``), ``returns``: names in the return annotation, ``yields``,
                ``decorators``; a generator also has ``yl``: the line of its first yield,
                and ``td``: code runs after its yield (teardown: statements follow the
                last yield, or the yield sits in a with block or a try with finally).
- ``class``     ``name``, ``bases``, ``decorators``.
- ``except``    ``types``: caught names (empty for a bare except), ``calls``: callees
                in the handler body, ``reraise``: the body raises, ``chained``: the body
                raises ``from`` an exception (not ``None``).
- ``raise``     ``name``: raised callee or name, ``cause``: the ``from`` name or None,
                ``in_except``.
- ``with``      ``names``: context expressions (callee names), ``async``.
- ``string``    ``value``: a string literal that is not a docstring (f-strings with
                ``{}`` for their fields, ``fstring`` true, ``fields``: the dotted text of
                each field's expression, ``<expr>`` when it is not a name).
- ``ref``       ``name``: a use of an imported name that is not a call (``os.environ``).
- ``assign``    ``target`` (``X``, ``self.x``, ``app.config[KEY]``), ``value``, ``op``
                (``=``, ``*=``...), ``ann``: names in an annotation.
- ``dictkey``   ``key``: a string key of a dict literal (or a ``dict(k=...)`` keyword),
                ``value``.
- ``power``     a ``**`` with a non-literal exponent (geometric growth).
- ``compare``   ``left``: the left operand's value, ``ops``: the operators (``==``, ``in``,
                ``is not``...), ``right``: the values of the other operands
                (``r.status_code == 404`` gives ``{"ref": "r.status_code"}``, ``["=="]``, ``[404]``).
- ``branch``    ``tests``: the names an ``if``/``elif`` or conditional expression tests for truth,
                through ``not``, ``and`` and ``or`` (``if not settings.PRODUCTION:`` gives
                ``["settings.PRODUCTION"]``); comparisons are ``compare`` facts.

Values are JSON-ready: str/int/float/bool/None, lists, dicts of str keys, or a marker
dict ``{"ref": name}``, ``{"call": name}``, ``{"expr": node type}``.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import ChainMap
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import libcst as cst
from libcst._nodes import op as _cst_op
from libcst._nodes import whitespace as _cst_whitespace
from libcst._nodes.base import CSTNode
from libcst.metadata import MetadataWrapper, PositionProvider

from auditor.facts import Fact
from auditor.facts.outline import Outline, outline

MAX_STRING = 400
_COMPARE_OPS = {"Equal": "==", "NotEqual": "!=", "LessThan": "<", "GreaterThan": ">", "LessThanEqual": "<=",
                "GreaterThanEqual": ">=", "In": "in", "NotIn": "not in", "Is": "is", "IsNot": "is not"}


def _dotted(node: cst.BaseExpression) -> str | None:
    """The raw dotted text of a name chain; calls in the chain are marked ``()``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    if isinstance(node, cst.Call):
        base = _dotted(node.func)
        return f"{base}()" if base else None
    if isinstance(node, cst.Subscript):
        base = _dotted(node.value)
        return f"{base}[]" if base else None
    return None


def _debug_only(test: cst.BaseExpression) -> bool:
    """Whether an ``if`` test holds in debug mode only: ``if app.debug:``, ``if settings.DEBUG:``,
    ``if DEBUG and ...:`` (its body is development code, not the production service)."""
    if isinstance(test, cst.BooleanOperation):
        return isinstance(test.operator, cst.And) and (_debug_only(test.left) or _debug_only(test.right))
    if isinstance(test, cst.Name):
        return test.value.lower() == "debug"
    if isinstance(test, cst.Attribute):
        return test.attr.value.lower() == "debug"
    if isinstance(test, cst.Subscript) and len(test.slice) == 1:
        index = test.slice[0].slice
        key = _string_value(index.value) if isinstance(index, cst.Index) else None
        return key is not None and key.lower() == "debug"
    return False


def _literal(node: cst.SimpleString) -> str | bytes | None:
    """A string literal's value. Without escapes (or raw) it is the text between the quotes;
    only the rest pays for LibCST's ``evaluated_value`` (``ast.literal_eval``)."""
    raw = node.value
    start = 0
    while start < len(raw) and raw[start] not in "'\"":
        start += 1
    prefix = raw[:start].lower()
    quote = 3 if raw[start:start + 3] in ('"""', "'''") else 1
    body = raw[start + quote:len(raw) - quote]
    if "\r" not in body and ("r" in prefix or "\\" not in body):
        if "b" not in prefix:
            return body
        if body.isascii():
            return body.encode("ascii")
    try:
        return node.evaluated_value
    except Exception:
        return None


def _concatenated(node: cst.ConcatenatedString) -> str | bytes | None:
    """Like LibCST's ``evaluated_value``: None when a part is an f-string or the types differ."""
    parts = []
    for part in (node.left, node.right):
        if isinstance(part, cst.SimpleString):
            parts.append(_literal(part))
        elif isinstance(part, cst.ConcatenatedString):
            parts.append(_concatenated(part))
        else:
            return None
    left, right = parts
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, bytes) and isinstance(right, bytes):
        return left + right
    return None


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = _literal(node) if isinstance(node, cst.SimpleString) else _concatenated(node)
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value
    if isinstance(node, cst.FormattedString):
        parts = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            else:
                parts.append("{}")
        return "".join(parts)
    return None


_STATEMENTS = (
    cst.BaseSmallStatement, cst.If, cst.For, cst.While, cst.Try, cst.TryStar, cst.With,
    cst.FunctionDef, cst.ClassDef, cst.Match,
)


class _Extractor(cst.CSTVisitor):
    """One traversal that records every fact kind.

    Facts get their line from an *anchor*: the node itself for calls, decorators, except
    handlers and statements, otherwise the innermost enclosing anchor. Anchors are numbered
    per group in visiting (source) order; lines are filled in afterwards (see ``_anchor_lines``).
    Keyword arguments are numbered the same way (group ``keyword``) but anchor nothing inside
    them: they only give the calls that pass them the line of each keyword.
    """

    def __init__(self) -> None:
        super().__init__()
        self.facts: list[Fact] = []
        self.anchors: dict[str, list[cst.CSTNode]] = {"stmt": [], "call": [], "decorator": [], "handler": [],
                                                      "keyword": []}
        # keyword arguments not visited yet -> the call and decorator facts that pass them
        self.pending_keywords: dict[int, list[Fact]] = {}
        self.anchor_stack: list[tuple[str, int]] = [("none", 0)]
        self.aliases: dict[str, str] = {}
        self.bindings: list[tuple[int, str | None, str, str]] = []
        """Every import's (facts recorded before it, scope or None at module level, local name, target)."""
        self.scope: list[str] = []
        self.except_depth = 0
        self.docstrings: set[int] = set()
        self.handler_stack: list[Fact] = []
        # the enclosing blocks that are the body of an `if` holding in debug mode only
        self.debug_blocks: set[int] = set()
        self.debug_depth = 0
        self.function_stack: list[Fact] = []
        self.cleanup_depth: list[int] = []
        """Per enclosing function: how many with blocks and try-with-finally blocks are open."""
        self.callee_nodes: set[int] = set()

    # -- helpers -------------------------------------------------------------
    def _anchor(self, group: str, node: cst.CSTNode) -> None:
        nodes = self.anchors[group]
        nodes.append(node)
        self.anchor_stack.append((group, len(nodes) - 1))

    # The traversal is the hot path: dispatch by exact type through dicts built once per
    # class instead of isinstance() over abstract classes and getattr() per node.
    def on_visit(self, node: cst.CSTNode) -> bool:
        cls = type(node)
        group = _ANCHOR_GROUP.get(cls)
        if group is not None:
            self._anchor(group, node)
        method = _VISIT.get(cls)
        if method is None:
            return True
        result = method(self, node)
        return result is not False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        cls = type(original_node)
        method = _LEAVE.get(cls)
        if method is not None:
            method(self, original_node)
        if cls in _ANCHOR_GROUP:
            self.anchor_stack.pop()

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def _line(self, node: cst.CSTNode) -> tuple[str, int]:
        return self.anchor_stack[-1]

    def _scope(self) -> str:
        return ".".join(self.scope) if self.scope else "<module>"

    def _add(self, t: str, node: cst.CSTNode, **data: Any) -> Fact:
        return self._keep({"t": t, "line": self._line(node), "scope": self._scope(), **data})

    def _keep(self, fact: Fact) -> Fact:
        """Record a fact; one in a block that runs in debug mode only is marked ``dev``."""
        if self.debug_depth:
            fact["dev"] = True
        self.facts.append(fact)
        return fact

    def _value(self, node: cst.BaseExpression, depth: int = 0) -> Any:
        text = _string_value(node)
        if text is not None:
            return text[:MAX_STRING]
        if isinstance(node, cst.Integer):
            try:
                return int(node.value.replace("_", ""), 0)
            except ValueError:
                return node.value
        if isinstance(node, cst.Float):
            try:
                return float(node.value.replace("_", ""))
            except ValueError:
                return node.value
        if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.value]
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self._value(node.expression, depth)
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                return -inner
            return {"expr": "UnaryOperation"}
        if depth < 4 and isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return [
                self._value(el.value, depth + 1)
                for el in node.elements[:50]
                if isinstance(el, (cst.Element,)) and not isinstance(el, cst.StarredElement)
            ]
        if depth < 4 and isinstance(node, cst.Dict):
            out: dict[str, Any] = {}
            for el in node.elements[:100]:
                if isinstance(el, cst.DictElement):
                    key = _string_value(el.key)
                    if key is not None:
                        out[key] = self._value(el.value, depth + 1)
            return out
        if isinstance(node, cst.Call):
            name = _dotted(node.func)
            return {"call": name or "<expr>"}
        name = _dotted(node)
        if name is not None:
            return {"ref": name}
        return {"expr": type(node).__name__}

    def _names_in(self, node: cst.CSTNode | None) -> list[str]:
        """Dotted names used inside an annotation or expression."""
        if node is None:
            return []
        names: list[str] = []

        class _Names(cst.CSTVisitor):
            def visit_Attribute(self, n: cst.Attribute) -> bool:
                d = _dotted(n)
                if d:
                    names.append(d)
                    return False
                return True

            def visit_Name(self, n: cst.Name) -> None:
                names.append(n.value)

            def visit_SimpleString(self, n: cst.SimpleString) -> None:
                v = _string_value(n)
                if v and len(v) < 80:
                    names.append(v)

        _walk(_Names(), node)
        return names

    def _keyword_lines(self, fact: Fact, args: Sequence[cst.Arg]) -> None:
        """Ask for the line of each keyword ``fact`` records (filled in when the walk reaches it)."""
        fact["kwl"] = {}
        for arg in args[:40]:
            if arg.keyword is not None:
                self.pending_keywords.setdefault(id(arg), []).append(fact)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is None:
            return
        nodes = self.anchors["keyword"]
        for fact in self.pending_keywords.pop(id(node), ()):
            fact["kwl"][node.keyword.value] = len(nodes)
        nodes.append(node)

    def _args(self, args: Sequence[cst.Arg]) -> tuple[list[Any], dict[str, Any]]:
        positional: list[Any] = []
        kw: dict[str, Any] = {}
        for arg in args[:40]:
            if arg.keyword is not None:
                kw[arg.keyword.value] = self._value(arg.value)
            elif arg.star == "**":
                kw["**"] = self._value(arg.value)
            elif arg.star == "*":
                # ``*params``: values passed at run time, in their place among the arguments
                # (asyncpg's ``fetch(sql, *params)`` binds its query's parameters so)
                positional.append({"expr": "Starred"})
            else:
                positional.append(self._value(arg.value))
        return positional, kw

    # -- imports -------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = _dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
                self._bind(alias.asname.name.value, full)
            else:
                root = full.split(".")[0]
                self.aliases.setdefault(root, root)
                self._bind(root, root)
            self._add("import", node, name=full)
        return False

    def _bind(self, local: str, target: str) -> None:
        self.bindings.append((len(self.facts), self._scope() if self.function_stack else None, local, target))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = _dotted(node.module) if node.module is not None else ""
        prefix = "." * len(node.relative) + (module or "")
        if isinstance(node.names, cst.ImportStar):
            self._add("import", node, name=f"{prefix}.*")
            return False
        for alias in node.names:
            name = _dotted(alias.name) or ""
            full = f"{prefix}.{name}" if prefix and not prefix.endswith(".") else f"{prefix}{name}"
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = full
            self._bind(local, full)
            self._add("import", node, name=full)
        return False

    # -- definitions ---------------------------------------------------------
    def _mark_docstring(self, body: cst.BaseSuite | Sequence[cst.BaseStatement]) -> None:
        stmts = body.body if isinstance(body, cst.IndentedBlock) else body
        if isinstance(stmts, Sequence) and stmts:
            first = stmts[0]
            if isinstance(first, cst.SimpleStatementLine) and first.body:
                expr = first.body[0]
                if isinstance(expr, cst.Expr) and isinstance(expr.value, (cst.SimpleString, cst.ConcatenatedString)):
                    self.docstrings.add(id(expr.value))

    def visit_Module(self, node: cst.Module) -> None:
        self._mark_docstring(node.body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._mark_docstring(node.body)
        qual = ".".join([*self.scope, node.name.value])
        decorators = []
        first = len(self.anchors["decorator"])
        for i, dec in enumerate(node.decorators):
            d = dec.decorator
            if isinstance(d, cst.Call):
                args, kw = self._args(d.args)
                name = _dotted(d.func) or "<expr>"
            else:
                args, kw = [], {}
                name = _dotted(d) or "<expr>"
            decorators.append(name)
            fact: Fact = {"t": "decorator", "line": ("decorator", first + i), "scope": qual, "name": name,
                          "args": args, "kw": kw, "target": node.name.value}
            if isinstance(d, cst.Call):
                self._keyword_lines(fact, d.args)
            self._keep(fact)
        params = []
        all_params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for param in all_params:
            ann = self._names_in(param.annotation.annotation) if param.annotation else []
            default = self._value(param.default) if param.default is not None else None
            params.append({"name": param.name.value, "ann": ann, "default": default})
        returns = self._names_in(node.returns.annotation) if node.returns else []
        func: Fact = {"t": "function", "line": self._line(node.name), "scope": qual,
                      "name": node.name.value, "async": node.asynchronous is not None,
                      "params": params, "returns": returns, "yields": False,
                      "decorators": decorators}
        self._keep(func)
        self.function_stack.append(func)
        self.scope.append(node.name.value)
        self.cleanup_depth.append(0)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scope.pop()
        func = self.function_stack.pop()
        self.cleanup_depth.pop()
        last = func.pop("_last_yield", None)
        if last is not None:
            # code runs after the yield: the yield sits in a with block or a try with finally,
            # or statements follow the last yield
            func["td"] = func.pop("_guarded", False) or last < len(self.anchors["stmt"]) - 1

    def visit_With(self, node: cst.With) -> None:
        self._with_fact(node)
        if self.cleanup_depth:
            self.cleanup_depth[-1] += 1

    def leave_With(self, original_node: cst.With) -> None:
        if self.cleanup_depth:
            self.cleanup_depth[-1] -= 1

    def visit_Try(self, node: cst.Try) -> None:
        if self.cleanup_depth and node.finalbody is not None:
            self.cleanup_depth[-1] += 1

    def leave_Try(self, original_node: cst.Try) -> None:
        if self.cleanup_depth and original_node.finalbody is not None:
            self.cleanup_depth[-1] -= 1

    def visit_Lambda(self, node: cst.Lambda) -> None:
        return None

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.function_stack:
            func = self.function_stack[-1]
            func["yields"] = True
            stmt = next((a for a in reversed(self.anchor_stack) if a[0] == "stmt"), None)
            if stmt is not None:
                func.setdefault("yl", stmt)
                func["_last_yield"] = stmt[1]
            if self.cleanup_depth and self.cleanup_depth[-1] > 0:
                func["_guarded"] = True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._mark_docstring(node.body)
        qual = ".".join([*self.scope, node.name.value])
        # a generic base (ModelViewSet[Tag], Generic[T]) extends the class it parametrises
        bases = [_dotted(b.value.value if isinstance(b.value, cst.Subscript) else b.value) or "<expr>"
                 for b in node.bases]
        kw = {k.keyword.value: self._value(k.value) for k in node.keywords if k.keyword is not None}
        decorators = []
        first = len(self.anchors["decorator"])
        for i, dec in enumerate(node.decorators):
            d = dec.decorator
            name = _dotted(d.func if isinstance(d, cst.Call) else d) or "<expr>"
            decorators.append(name)
            args, dkw = self._args(d.args) if isinstance(d, cst.Call) else ([], {})
            dfact: Fact = {"t": "decorator", "line": ("decorator", first + i), "scope": qual, "name": name,
                           "args": args, "kw": dkw, "target": node.name.value}
            if isinstance(d, cst.Call):
                self._keyword_lines(dfact, d.args)
            self._keep(dfact)
        self._keep({"t": "class", "line": self._line(node.name), "scope": qual,
                           "name": node.name.value, "bases": bases, "kw": kw, "decorators": decorators})
        self.scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scope.pop()

    # -- calls and names -----------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        name = _dotted(node.func) or "<expr>"
        self.callee_nodes.add(id(node.func))
        args, kw = self._args(node.args)
        self._keyword_lines(self._add("call", node, name=name, args=args, kw=kw), node.args)
        if self.handler_stack:
            self.handler_stack[-1]["calls"].append(name)
        if name in ("dict",) and kw:
            for key, value in kw.items():
                self._add("dictkey", node, key=key, value=value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if id(node) in self.callee_nodes:
            return True
        d = _dotted(node)
        if d and "(" not in d and "[" not in d:
            self._add("ref", node, name=d)
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.aliases and id(node) not in self.callee_nodes:
            self._add("ref", node, name=node.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = _string_value(node.key)
        if key is not None:
            self._add("dictkey", node, key=key[:MAX_STRING], value=self._value(node.value, 2))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self.docstrings:
            return
        value = _string_value(node)
        if value is not None and value.strip():
            self._add("string", node, value=value[:MAX_STRING])

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        if id(node) in self.docstrings:
            return False
        value = _string_value(node)
        if value is not None:
            self._add("string", node, value=value[:MAX_STRING])
            return False
        return True  # parts that cannot be joined (f-strings among them): each part is a string

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        value = _string_value(node)
        if value:
            fields = [
                _dotted(part.expression) or "<expr>"
                for part in node.parts
                if isinstance(part, cst.FormattedStringExpression)
            ]
            self._add("string", node, value=value[:MAX_STRING], fstring=True, fields=fields)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Power) and not isinstance(node.right, (cst.Integer, cst.Float)):
            self._add("power", node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        ops = [_COMPARE_OPS.get(type(c.operator).__name__, type(c.operator).__name__) for c in node.comparisons]
        self._add("compare", node, left=self._value(node.left), ops=ops,
                  right=[self._value(c.comparator) for c in node.comparisons])

    def _truth_tests(self, node: cst.BaseExpression) -> list[str]:
        """The dotted names a truth test reads, through ``not``, ``and`` and ``or``."""
        stack: list[cst.BaseExpression] = [node]
        out: list[str] = []
        while stack and len(out) < 8:
            n = stack.pop()
            if isinstance(n, cst.UnaryOperation) and isinstance(n.operator, cst.Not):
                stack.append(n.expression)
            elif isinstance(n, cst.BooleanOperation):
                stack.extend((n.right, n.left))
            elif (name := _dotted(n)) is not None:
                out.append(name)
        return out

    def visit_If(self, node: cst.If) -> None:
        tests = self._truth_tests(node.test)
        if tests:
            self._add("branch", node, tests=tests)

        if _debug_only(node.test):
            self.debug_blocks.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.debug_depth += id(node) in self.debug_blocks

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.debug_depth -= id(original_node) in self.debug_blocks

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.debug_depth += id(node) in self.debug_blocks

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self.debug_depth -= id(original_node) in self.debug_blocks

    def visit_IfExp(self, node: cst.IfExp) -> None:
        tests = self._truth_tests(node.test)
        if tests:
            self._add("branch", node, tests=tests)

    # -- assignments ---------------------------------------------------------
    def _target(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            base = _dotted(node.value)
            index = node.slice[0].slice
            if base and isinstance(index, cst.Index):
                key = _string_value(index.value)
                if key is not None:
                    return f"{base}[{key}]"
            return None
        return _dotted(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = self._value(node.value)
        for target in node.targets:
            t = target.target
            elements = t.elements if isinstance(t, (cst.Tuple, cst.List)) else None
            if elements is not None:
                for el in elements:
                    name = self._target(el.value)
                    if name:
                        self._add("assign", node, target=name, value={"expr": "unpack"}, op="=", ann=[])
                continue
            name = self._target(t)
            if name:
                self._add("assign", node, target=name, value=value, op="=", ann=[])

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = self._target(node.target)
        if name:
            value = self._value(node.value) if node.value is not None else {"expr": "missing"}
            self._add("assign", node, target=name, value=value, op=":",
                      ann=self._names_in(node.annotation.annotation))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        name = self._target(node.target)
        if name:
            op = type(node.operator).__name__
            self._add("assign", node, target=name, value=self._value(node.value), op=op, ann=[])

    # -- errors and contexts -------------------------------------------------
    def _except(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        types: list[str] = []
        if node.type is not None:
            if isinstance(node.type, cst.Tuple):
                types = [_dotted(el.value) or "<expr>" for el in node.type.elements]
            else:
                types = [_dotted(node.type) or "<expr>"]
        fact = self._add("except", node, types=types, calls=[], reraise=False, chained=False)
        self.handler_stack.append(fact)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._except(node)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.handler_stack.pop()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._except(node)

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        self.handler_stack.pop()

    def visit_Raise(self, node: cst.Raise) -> None:
        name = None
        if node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
            name = _dotted(exc) or "<expr>"
        cause = None
        if node.cause is not None:
            cause = _dotted(node.cause.item) or "<expr>"
        in_except = bool(self.handler_stack)
        self._add("raise", node, name=name, cause=cause, in_except=in_except)
        if self.handler_stack:
            handler = self.handler_stack[-1]
            handler["reraise"] = True
            if cause is not None and cause != "None":
                handler["chained"] = True

    def visit_Return(self, node: cst.Return) -> None:
        value = node.value
        if isinstance(value, cst.Tuple) and len(value.elements) in (2, 3):
            second = value.elements[1]
            if not isinstance(second, cst.StarredElement):
                self._add("return", node, second=self._value(second.value))

    def _with_fact(self, node: cst.With) -> None:
        names = []
        for item in node.items:
            expr = item.item
            if isinstance(expr, cst.Call):
                expr = expr.func
            names.append(_dotted(expr) or "<expr>")
        self._add("with", node, names=names, **{"async": node.asynchronous is not None})


def _concrete(base: type) -> list[type]:
    out: list[type] = []
    subclasses: list[type] = base.__subclasses__()
    for sub in subclasses:
        if not getattr(sub, "__abstractmethods__", None):
            out.append(sub)
        out.extend(_concrete(sub))
    return out


_ANCHOR_GROUP: dict[type, str] = {}
for _cls in [*_concrete(cst.BaseSmallStatement), *_STATEMENTS[1:]]:
    _ANCHOR_GROUP[_cls] = "stmt"
_ANCHOR_GROUP[cst.Call] = "call"
_ANCHOR_GROUP[cst.Decorator] = "decorator"
_ANCHOR_GROUP[cst.ExceptHandler] = "handler"
_ANCHOR_GROUP[cst.ExceptStarHandler] = "handler"

_VISIT: dict[type, Any] = {}
_LEAVE: dict[type, Any] = {}
for _name in list(vars(_Extractor)):
    for _prefix, _table in (("visit_", _VISIT), ("leave_", _LEAVE)):
        if _name.startswith(_prefix) and hasattr(cst, _name[len(_prefix):]):
            _table[getattr(cst, _name[len(_prefix):])] = getattr(_Extractor, _name)


# Nodes that hold only whitespace, comments or punctuation: no fact comes from them, and no
# visit method above takes them, so the walk does not descend into them.
_SKIP: frozenset[type] = frozenset(
    [cls for module in (_cst_whitespace, _cst_op) for cls in vars(module).values()
     if isinstance(cls, type) and issubclass(cls, cst.CSTNode)]
    + [type(None), str, int, bool, cst.MaybeSentinel]
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    """The node-holding fields of a LibCST class in the order LibCST itself visits them.

    LibCST's ``_visit_and_replace_children`` names each child field as a string constant in
    visiting (source) order; its code object lists those constants in the same order.
    """
    fields = _FIELDS.get(cls)
    if fields is None:
        names = {f.name for f in dataclasses.fields(cls)}
        consts = getattr(cls, "_visit_and_replace_children").__code__.co_consts  # noqa: B009
        fields = tuple(dict.fromkeys(c for c in consts if isinstance(c, str) and c in names))
        _FIELDS[cls] = fields
    return fields


def _walk(visitor: Any, node: cst.CSTNode) -> None:
    """LibCST's visit order and on_visit/on_leave protocol, without rebuilding every node.

    ``Module.visit`` reconstructs each node on the way back up (a dataclass per node), which
    costs several times the parse; facts only need to read the tree.
    """
    if visitor.on_visit(node) is not False:
        cls = type(node)
        fields = _FIELDS.get(cls) or _child_fields(cls)
        for name in fields:
            child = getattr(node, name)
            kind = type(child)
            if kind is tuple or kind is list:
                for item in child:
                    if type(item) not in _SKIP and isinstance(item, cst.CSTNode):
                        _walk(visitor, item)
            elif kind not in _SKIP and isinstance(child, cst.CSTNode):
                _walk(visitor, child)
    visitor.on_leave(node)


class _LiteralLocator:
    """Moves a string literal's line from its statement's first line to the line that holds it.

    Facts inside a multi-line statement (a settings dict, a list of middleware) are anchored
    at the statement; the literal's own text, searched forward from there (each anchor keeps
    a cursor, so repeated literals map to successive lines), gives the precise line. Literals
    whose source text differs from their value (escapes) keep the statement's line.
    """

    WINDOW = 400

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.lines: list[str] | None = None
        self.cursors: dict[tuple[str, str, int], tuple[int, int]] = {}

    def find(self, value: str, line: int, anchor: tuple[str, str, int]) -> int:
        fragment = value.split("\n", 1)[0][:60]
        if len(fragment) < 2 or "\\" in fragment or '"' in fragment or "'" in fragment or line < 1:
            return line
        if self.lines is None:
            self.lines = self.source.decode("utf-8", errors="replace").splitlines()
        start_line, start_col = self.cursors.get(anchor, (line - 1, 0))
        for index in range(start_line, min(len(self.lines), line - 1 + self.WINDOW)):
            col = self.lines[index].find(fragment, start_col if index == start_line else 0)
            if col >= 0:
                self.cursors[anchor] = (index, col + len(fragment))
                return index + 1
        return line


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    subs: list[type] = cls.__subclasses__()
    for sub in subs:
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


@cache
def _validation_skippable() -> bool:
    """Whether every LibCST node validates in ``CSTNode.__post_init__`` alone (checked once)."""
    hook = CSTNode.__dict__.get("__post_init__")
    return hook is not None and all(getattr(sub, "__post_init__", None) is hook for sub in _subclasses(CSTNode))


def parse_unvalidated(source: bytes) -> cst.Module:
    """``cst.parse_module`` without validating each node as the parser builds it.

    LibCST checks every node it constructs (``CSTNode.__post_init__`` calls ``_validate``), a
    safeguard for trees built by hand; nodes its parser builds from source are valid by
    construction, and checking them costs about a quarter of the parse. The check is off only
    while this call parses (the auditor parses in one thread per process), and stays on when a
    LibCST version validates anywhere else.
    """
    if not _validation_skippable():
        return cst.parse_module(source)
    hook = CSTNode.__dict__["__post_init__"]
    CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(source)
    finally:
        CSTNode.__post_init__ = hook  # type: ignore[method-assign]


def _no_validation(self: CSTNode) -> None:
    return None


def _anchor_lines(source: bytes, anchors: dict[str, list[cst.CSTNode]],
                  tree: ast.AST | None = None, shape: Outline | None = None) -> dict[str, list[int]] | None:
    """Lines of the anchors from the standard parser's positions, which come at no extra cost.

    LibCST visits nodes in source order, so the n-th call LibCST saw is the n-th call by
    start position (outer calls first). When the two parsers disagree on a count, or ``ast``
    cannot parse the file (newer syntax), return None and let LibCST compute positions.
    """
    if shape is None:
        if tree is None:
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
        shape = outline(tree)
    groups = shape.groups
    out: dict[str, list[int]] = {}
    for group, nodes in anchors.items():
        positions = sorted(groups[group])
        if len(positions) != len(nodes):
            return None
        out[group] = [p[4] for p in positions]
    return out


def _metadata_lines(module: cst.Module, anchors: dict[str, list[cst.CSTNode]]) -> dict[str, list[int]]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    out: dict[str, list[int]] = {}
    for group, nodes in anchors.items():
        lines = []
        for node in nodes:
            target: cst.CSTNode = node
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                target = node.name
            elif isinstance(node, cst.Arg) and node.keyword is not None:
                target = node.keyword
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and isinstance(node.func.value, cst.Call):
                target = node.func.attr  # a method in a chain: the line of its name (see outline)
            lines.append(positions[target].start.line if target in positions else 1)
        out[group] = lines
    return out


def _local_overlays(facts: list[Fact], bindings: list[tuple[int, str | None, str, str]]) -> dict[int, dict[str, str]]:
    """For each fact (by position) that uses a name the file imports as more than one target,
    that name's target there. Inside a function that imports it: the function's (or an enclosing
    function's) latest import of it above the fact, else its first one (the name is local to the
    function); elsewhere: the last module-level import of it."""
    targets: dict[str, set[str]] = {}
    for _, _, local, target in bindings:
        targets.setdefault(local, set()).add(target)
    conflicted = {local for local, seen in targets.items() if len(seen) > 1}
    if not conflicted:
        return {}
    module = {local: target for _, where, local, target in bindings if where is None and local in conflicted}
    local_binds = [b for b in bindings if b[1] is not None and b[2] in conflicted]
    overlays: dict[int, dict[str, str]] = {}
    for i, fact in enumerate(facts):
        scope = fact["scope"]
        above: dict[str, str] = {}
        below: dict[str, str] = {}
        for position, where, local, target in local_binds:  # in source order
            if scope == where or scope.startswith(f"{where}."):
                if position <= i:
                    above[local] = target
                else:
                    below.setdefault(local, target)
        overlays[i] = {**module, **below, **above}
    return overlays


def _resolve(name: str, aliases: Mapping[str, str]) -> str:
    if not name or name.startswith("<"):
        return name
    head, dot, rest = name.partition(".")
    bracket = ""
    for mark in ("(", "["):
        if mark in head:
            head, _, tail = head.partition(mark)
            bracket = mark + tail
    target = aliases.get(head)
    if target is None:
        return name
    return f"{target}{bracket}{dot}{rest}"


def _resolve_value(value: Any, aliases: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return {"ref": _resolve(value["ref"], aliases)}
        if set(value) == {"call"}:
            return {"call": _resolve(value["call"], aliases)}
        return {k: _resolve_value(v, aliases) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_value(v, aliases) for v in value]
    return value


def extract_python(source: bytes, tree: ast.AST | None = None, shape: Outline | None = None) -> list[Fact]:
    """Parse one Python file and return its facts, names resolved through its imports.

    ``tree``: the file's :mod:`ast` tree when the caller has parsed it already (for lines);
    ``shape``: its outline, when the caller has walked it already.

    Raises libcst.ParserSyntaxError (and RecursionError on absurd nesting); the caller
    turns those into warnings.
    """
    module = parse_unvalidated(source)
    visitor = _Extractor()
    _walk(visitor, module)
    lines = _anchor_lines(source, visitor.anchors, tree, shape)
    if lines is None:
        lines = _metadata_lines(module, visitor.anchors)
    file_aliases = visitor.aliases
    overlays = _local_overlays(visitor.facts, visitor.bindings)
    facts: list[Fact] = []
    locator = _LiteralLocator(source)
    for position, fact in enumerate(visitor.facts):
        overlay = overlays.get(position)
        aliases: Mapping[str, str] = ChainMap(overlay, file_aliases) if overlay else file_aliases
        group, ordinal = fact["line"]
        fact["line"] = lines[group][ordinal] if group in lines else 1
        t = fact["t"]
        if t in ("string", "dictkey"):
            fact["line"] = locator.find(fact["value"] if t == "string" else fact["key"], fact["line"],
                                        (t, group, ordinal))
        if t == "ref" and fact["name"].split(".")[0] not in aliases:
            continue
        if t in ("call", "decorator", "ref", "raise"):
            if fact.get("name"):
                fact["name"] = _resolve(fact["name"], aliases)
        if t in ("call", "decorator"):
            keyword_lines = lines.get("keyword", [])
            kwl = {k: keyword_lines[o] for k, o in fact.pop("kwl", {}).items() if o < len(keyword_lines)}
            kwl = {k: line for k, line in kwl.items() if line != fact["line"]}
            if kwl:
                fact["kwl"] = kwl
            fact["args"] = _resolve_value(fact["args"], aliases)
            fact["kw"] = _resolve_value(fact["kw"], aliases)
        elif t == "class":
            fact["bases"] = [_resolve(b, aliases) for b in fact["bases"]]
            fact["decorators"] = [_resolve(b, aliases) for b in fact["decorators"]]
        elif t == "function":
            if "yl" in fact:
                group, ordinal = fact["yl"]
                fact["yl"] = lines[group][ordinal] if group in lines else fact["line"]
            fact["decorators"] = [_resolve(b, aliases) for b in fact["decorators"]]
            fact["returns"] = [_resolve(b, aliases) for b in fact["returns"]]
            for param in fact["params"]:
                param["ann"] = [_resolve(b, aliases) for b in param["ann"]]
                param["default"] = _resolve_value(param["default"], aliases)
        elif t == "except":
            fact["types"] = [_resolve(b, aliases) for b in fact["types"]]
            fact["calls"] = sorted({_resolve(b, aliases) for b in fact["calls"]})
        elif t == "raise" and fact.get("cause"):
            fact["cause"] = _resolve(fact["cause"], aliases)
        elif t == "with":
            fact["names"] = [_resolve(b, aliases) for b in fact["names"]]
        elif t == "branch":
            fact["tests"] = [_resolve(b, aliases) for b in fact["tests"]]
        elif t == "return":
            fact["second"] = _resolve_value(fact["second"], aliases)
        elif t == "compare":
            fact["left"] = _resolve_value(fact["left"], aliases)
            fact["right"] = _resolve_value(fact["right"], aliases)
        elif t in ("assign", "dictkey"):
            fact["value"] = _resolve_value(fact["value"], aliases)
            if t == "assign":
                fact["ann"] = [_resolve(b, aliases) for b in fact["ann"]]
        facts.append(fact)
    _mark_receivers(facts)
    return _dedupe_refs(facts)


def _mark_receivers(facts: list[Fact]) -> None:
    """Give method calls ``recv``: what their receiver is, where the file says it plainly.

    A receiver (``lock``, ``self._lock``) is known when every assignment to that text in the
    file that builds something calls the same callee (``None`` placeholders aside), or when it
    is a parameter of the enclosing function annotated with one name. Anything else stays
    unknown: a rule then judges the call by its name alone."""
    built: dict[str, set[str]] = {}
    for fact in facts:
        if fact["t"] == "assign" and fact["op"] in ("=", ":"):
            value = fact["value"]
            if value is None or (isinstance(value, dict) and value.get("expr") == "missing"):
                continue
            callee = value.get("call") if isinstance(value, dict) and set(value) == {"call"} else None
            built.setdefault(fact["target"], set()).add(callee or "<other>")
    params: dict[tuple[str, str], str] = {}
    for fact in facts:
        if fact["t"] == "function":
            for param in fact["params"]:
                if len(param["ann"]) == 1:
                    params[(fact["scope"], param["name"])] = param["ann"][0]
    for fact in facts:
        if fact["t"] != "call" or "." not in fact["name"]:
            continue
        receiver = fact["name"].rsplit(".", 1)[0]
        callees = built.get(receiver)
        if callees is not None:
            if len(callees) == 1 and "<other>" not in callees:
                fact["recv"] = next(iter(callees))
            continue
        ann = params.get((fact["scope"], receiver))
        if ann is not None:
            fact["recv"] = ann


def _dedupe_refs(facts: list[Fact]) -> list[Fact]:
    """Keep one ``ref`` per name and line, and only refs rooted in an imported name or chain."""
    out: list[Fact] = []
    seen: set[tuple[str, int]] = set()
    for fact in facts:
        if fact["t"] == "ref":
            key = (fact["name"], fact["line"])
            if key in seen:
                continue
            seen.add(key)
        out.append(fact)
    return out
