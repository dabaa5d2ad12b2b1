"""Document templates as code administrators write: Jinja2 in a locked sandbox.

A template sees only the plain context (context.py: dicts, lists, strings, numbers, dates), `range`,
`namespace` and the filters (filters.py plus Jinja's own). The sandbox
(jinja2.sandbox.ImmutableSandboxedEnvironment) refuses private and internal attributes
(`''.__class__`, `lipsum.__globals__`) and changing lists or dicts; on top of it:

- calling is allowed only for `range`, `namespace`, macros, `loop.cycle`/`loop.changed` and a short
  list of string and dict methods (`upper`, `items`, …): any other call is a SecurityError;
- names outside the context contract (`settings`, `request`, `config`…), `_private` attributes and
  `{% include %}` / `{% extends %}` / `{% import %}` are refused when the template is saved, with the
  line they are on;
- one render has a budget (Budget): `range` over at most MAX_RANGE_ITEMS items in all, and at most
  MAX_BUILT_CHARS characters built by `~`, `+`, `*`, filters and methods, each checked *before* it is
  built; numbers given to filters (widths, counts) stay under MAX_ARGUMENT; the HTML is at most
  MAX_OUTPUT_CHARS. A template cannot hold a worker for long or fill its memory.
"""

from __future__ import annotations

import contextvars
import functools
import operator
import traceback
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from jinja2 import Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import BlockReference, LoopContext, Macro, markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from sencrm.documents.filters import FILTERS

TEMPLATE_NAME = "<template>"
MAX_OUTPUT_CHARS = 5_000_000
MAX_BUILT_CHARS = 20_000_000
MAX_RANGE_ITEMS = 20_000
MAX_ARGUMENT = 100_000
MAX_POWER = 64
# Jinja's filters that would let a template print code or read attributes by name in ways the checks
# above do not see, or build strings from a format (`'%0999999999d'|format(1)`): not offered.
REMOVED_FILTERS = ("format", "pprint", "xmlattr")

# The names a template may read (context.py documents each); anything else is a typo or an attempt.
CONTEXT_NAMES = frozenset(
    {"kind", "company", "document", "customer", "lines", "sections", "totals", "total_in_words", "notes"}
)
GLOBAL_NAMES = frozenset({"range", "namespace", "loop", "caller", "varargs", "kwargs", "self"})
SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "replace", "split",
         "startswith", "endswith", "join", "splitlines"}
    ),
    dict: frozenset({"items", "keys", "values", "get"}),
    LoopContext: frozenset({"cycle", "changed"}),
}  # fmt: skip


class TemplateProblem(Exception):
    """A template that cannot be used: the message is for the administrator, with its line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.reason = message
        text = _("Line %(n)s: %(message)s") % {"n": line, "message": message} if line else message
        super().__init__(text)


# ---------------------------------------------------------------------------------------------
# The environment


@dataclass
class Budget:
    """What one render may still use (a context variable: one per render, also across threads)."""

    range_items: int = MAX_RANGE_ITEMS
    chars: int = MAX_BUILT_CHARS

    def spend_chars(self, n: int) -> None:
        self.chars -= n
        if self.chars < 0:
            raise SecurityError(f"the template builds more than {MAX_BUILT_CHARS:,} characters")


_budget: contextvars.ContextVar[Budget] = contextvars.ContextVar("document_budget")


def budget() -> Budget:
    current = _budget.get(None)
    if current is None:  # a render outside render_html (tests of the environment itself)
        current = Budget()
        _budget.set(current)
    return current


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _budgeted_range(*args: int) -> range:
    numbers = range(*args)
    current = budget()
    current.range_items -= len(numbers)
    if current.range_items < 0:
        raise SecurityError(f"range() over more than {MAX_RANGE_ITEMS} items in one document")
    return numbers


def _checked_binop(op: Callable[[Any, Any], Any], name: str) -> Callable[[Any, Any], Any]:
    """`+`, `*`, `**` and `%` with their result's size known (and paid for) before it is built."""

    def run(left: Any, right: Any) -> Any:
        if name == "+" and isinstance(left, str | list | tuple):
            budget().spend_chars(_size(left) + _size(right))
        elif name == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    budget().spend_chars(len(seq) * max(times, 0))
        elif (
            name == "**" and isinstance(right, int | float | Decimal) and not -MAX_POWER <= right <= MAX_POWER
        ):
            raise SecurityError(f"a power above {MAX_POWER}")
        elif name == "%" and isinstance(left, str):
            raise SecurityError("formatting a string with % (use ~ to join strings)")
        return op(left, right)

    return run


def _concat(parts: Iterable[Any]) -> str:
    """`a ~ b`: Jinja's own join (escaping what is not markup), paid for before it is built."""
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    budget().spend_chars(sum(len(t) for t in texts))
    return markup_join(texts)


def _checked_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose numeric arguments (widths, counts) stay small and whose result is paid for."""
    skip = 2 if getattr(func, "jinja_pass_arg", None) is not None else 1  # the environment, the value

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        for arg in [*args[skip:], *kwargs.values()]:
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_ARGUMENT:
                raise SecurityError(f"the filter {name} with a number above {MAX_ARGUMENT:,}")
        if name == "replace" and len(args) >= skip + 2:
            value, old, new = str(args[skip - 1]), str(args[skip]), str(args[skip + 1])
            budget().spend_chars(len(value) + value.count(old) * len(new) if old else len(value) * len(new))
        result = func(*args, **kwargs)
        budget().spend_chars(_size(result))
        return result

    return run


class _CheckedCodeGenerator(CodeGenerator):
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class DocumentSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with calls limited to an allowlist and a budget per render (the module docstring)."""

    code_generator_class = _CheckedCodeGenerator
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(autoescape=True, trim_blocks=True, lstrip_blocks=True, loader=None)
        self.globals.clear()
        self.globals.update({"range": _budgeted_range, "namespace": Namespace})
        for name in REMOVED_FILTERS:
            self.filters.pop(name, None)
        self.filters.update(FILTERS)
        self.filters = {name: _checked_filter(name, func) for name, func in self.filters.items()}
        ops = {"+": operator.add, "*": operator.mul, "**": operator.pow, "%": operator.mod}
        self.binop_table = {**self.binop_table, **{k: _checked_binop(op, k) for k, op in ops.items()}}
        self.bounded_concat = _concat

    def is_safe_callable(self, obj: Any) -> bool:
        if (
            obj is _budgeted_range
            or obj is Namespace
            or isinstance(obj, Macro | BlockReference | LoopContext)
        ):
            return True
        if isinstance(obj, types.BuiltinMethodType | types.MethodType):
            owner = getattr(obj, "__self__", None)
            for kind, names in SAFE_METHODS.items():
                if isinstance(owner, kind) and obj.__name__ in names:
                    return super().is_safe_callable(obj)
        return False

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # Jinja returns an Undefined that prints as "": refuse loudly instead, so the administrator
        # learns at once that `x|attr("__class__")` is not a way in.
        raise SecurityError(f"reading {attribute!r} of a {type(obj).__name__!r} is not allowed")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not __self.is_safe_callable(__obj):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise SecurityError(f"calling {name}() is not allowed in a document template")
        if getattr(__obj, "__name__", "") in ("replace", "join") and isinstance(__obj.__self__, str):
            text = __obj.__self__
            if __obj.__name__ == "join" and args:
                items = list(args[0])
                budget().spend_chars(sum(_size(i) for i in items) + len(text) * len(items))
                args = (items, *args[1:])
            elif len(args) >= 2:
                old, new = str(args[0]), str(args[1])
                budget().spend_chars(len(text) + (text.count(old) if old else len(text)) * len(new))
        result = super().call(__context, __obj, *args, **kwargs)
        budget().spend_chars(_size(result))
        return result


@cache
def environment() -> DocumentSandbox:
    return DocumentSandbox()


# ---------------------------------------------------------------------------------------------
# Checking and rendering


def _line_of(exc: BaseException) -> int | None:
    """The template line a render error comes from (Jinja rewrites its frames to the template's)."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == TEMPLATE_NAME]
    return lines[-1] if lines else None


def _first_line(ast: nodes.Template, test: Callable[[nodes.Node], bool]) -> int | None:
    return next((node.lineno for node in ast.find_all(nodes.Node) if test(node)), None)


def _private_path(name: str) -> bool:
    """`__class__`, or an attribute path with a private step (`attribute="date.__class__"`)."""
    return any(part.startswith("_") for part in name.split("."))


def check_source(source: str, names: frozenset[str] = CONTEXT_NAMES) -> None:
    """Refuse, with its line, what a template may not contain (before it is ever run). `names`: the
    context the template will be given (a document's by default; an email's: marketing/emailing.py)."""
    env = environment()
    try:
        ast = env.parse(source, filename=TEMPLATE_NAME)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            _("The template has a syntax error: %(error)s") % {"error": exc.message}, exc.lineno
        ) from None
    banned = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
    line = _first_line(ast, lambda n: isinstance(n, banned))
    if line is not None:
        raise TemplateProblem(
            _("A document template cannot include, extend or import other templates."), line
        )
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        name = getattr(node, "attr", None) or getattr(getattr(node, "arg", None), "value", None)
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateProblem(
                _("“%(name)s” is private: a document template cannot read it.") % {"name": name}, node.lineno
            )
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        values = [*node.args, *(kw.value for kw in node.kwargs)]
        for value in values:
            if isinstance(value, nodes.Const) and isinstance(value.value, str) and _private_path(value.value):
                raise TemplateProblem(
                    _("“%(name)s” is private: a document template cannot read it.")
                    % {"name": value.value[:60]},
                    node.lineno,
                )
    try:  # compiles the template: an unknown filter or test is found here
        unknown = sorted(meta.find_undeclared_variables(ast) - names - GLOBAL_NAMES)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            _("The template has a syntax error: %(error)s") % {"error": exc.message}, exc.lineno
        ) from None
    if unknown and names != CONTEXT_NAMES:
        line = _first_line(ast, lambda n: isinstance(n, nodes.Name) and n.name == unknown[0])
        raise TemplateProblem(
            _("“%(name)s” is not available here: use %(names)s.")
            % {"name": unknown[0], "names": ", ".join(sorted(names))},
            line,
        )
    if unknown:
        line = _first_line(ast, lambda n: isinstance(n, nodes.Name) and n.name == unknown[0])
        raise TemplateProblem(
            _("“%(name)s” is not available in document templates: use company, document, customer, lines, "
              "sections, totals, total_in_words or notes.") % {"name": unknown[0]},
            line,
        )  # fmt: skip


@functools.lru_cache(maxsize=32)
def _compiled(source: str, names: frozenset[str]) -> Template:
    """The checked and compiled template (an email campaign renders one source for every recipient)."""
    check_source(source, names)
    template = environment().from_string(source)
    template.filename = TEMPLATE_NAME
    return template


def render_html(source: str, context: Mapping[str, Any], names: frozenset[str] = CONTEXT_NAMES) -> str:
    """The template's HTML for a context; TemplateProblem (with its line) for anything it may not do."""
    template = _compiled(source, names)
    token = _budget.set(Budget())
    parts: list[str] = []
    size = 0
    try:
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateProblem(
                    _("The document is too large (more than %(n)s characters).")
                    % {"n": f"{MAX_OUTPUT_CHARS:,}"}
                )
            parts.append(part)
    except SecurityError as exc:
        raise TemplateProblem(
            _("Not allowed in a document template: %(error)s") % {"error": str(exc)[:300]}, _line_of(exc)
        ) from None
    except TemplateError as exc:
        raise TemplateProblem(
            _("The template cannot be rendered: %(error)s") % {"error": str(exc)[:300]}, _line_of(exc)
        ) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError, RecursionError) as exc:
        raise TemplateProblem(
            _("The template cannot be rendered: %(error)s") % {"error": str(exc)[:300]}, _line_of(exc)
        ) from None
    finally:
        _budget.reset(token)
    return "".join(parts)
