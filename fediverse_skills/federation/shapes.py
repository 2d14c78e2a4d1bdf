"""JSON-LD shapes that a plain-JSON reading and a JSON-LD reading see differently.

We read activities as plain JSON (``actor``, ``object``, ``attributedTo`` are keys of one
tree) and, for documents with their own terms, as compacted JSON-LD
(``vocabulary.normalised``). Most documents mean the same either way. Some do not, and
they are how signed bodies get reshaped (CVE-2026-42462, CVE-2026-46349):

* ``@graph`` and ``@included`` put several nodes side by side, so which one is "the"
  document depends on the reader; ``@reverse`` turns a node into the object of a
  statement; ``@nest`` moves properties under another key. A proof over the RDF of such a
  document (``eddsa-rdfc-2022``) stays valid when the nodes are rearranged.
* An inline ``@context`` can make any key an alias of those keywords (``"x": "@graph"``),
  give a term a reverse or graph meaning (``{"@reverse": ...}``, ``"@container": "@graph"``),
  or re-point a term we check (``actor``, ``attributedTo``, ...) at another IRI.

No activity we need uses any of this, so ``reshaping`` finds them and the caller refuses
the document. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

# Keywords that change which node is the document, or where a property belongs.
RESHAPING_KEYWORDS = frozenset({"@graph", "@included", "@reverse", "@nest"})
# Container kinds that wrap values in graph or index objects.
_RESHAPING_CONTAINERS = frozenset({"@graph", "@included"})
# Aliases the ActivityStreams context itself declares: the only ones accepted inline.
_STANDARD_ALIASES = {"id": "@id", "type": "@type"}
# Terms whose meaning our origin and authorship checks rely on: an inline context may not
# re-point them (ActivityStreams and our vocabulary define them).
PROTECTED_TERMS = frozenset(
    {"id", "type", "actor", "attributedTo", "object", "target", "about", "skillKey", "proof"}
)
_MAX_DEPTH = 64


def _definition(term: str, value: Any) -> str | None:
    """Why the inline term definition ``term: value`` reshapes the document, or None."""
    if term.startswith("@"):
        return None  # @vocab, @base, @language, @version, @protected, @propagate, @import
    if isinstance(value, str):
        target: Any = value
    elif isinstance(value, dict):
        if "@reverse" in value:
            return f"the term {term!r} is a reverse property"
        container = value.get("@container")
        kinds = container if isinstance(container, list) else [container]
        for kind in kinds:
            if kind in _RESHAPING_CONTAINERS:
                return f"the term {term!r} has a {kind} container"
        target = value.get("@id")
        scoped = value.get("@context")
        if scoped is not None:
            found = _context(scoped)
            if found is not None:
                return found
    else:
        target = None  # null: the term is undefined here
    if isinstance(target, str) and target.startswith("@"):
        if _STANDARD_ALIASES.get(term) != target:
            return f"the term {term!r} is an alias of {target}"
        return None
    if term in PROTECTED_TERMS:
        return f"the inline @context redefines {term!r}"
    return None


def _context(context: Any) -> str | None:
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            for term, value in item.items():
                if isinstance(term, str):
                    found = _definition(term, value)
                    if found is not None:
                        return found
    return None  # URLs name bundled contexts (or are refused when the document is expanded)


def reshaping(document: Any) -> str | None:
    """Why ``document`` (any parsed JSON) reads differently as JSON-LD than as plain JSON,
    or None if it does not: the first reshaping keyword used or declared anywhere in it."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return "the document is nested too deeply"
        if isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key in RESHAPING_KEYWORDS:
                    return f"it uses {key}"
                if key == "@context":
                    found = _context(inner)
                    if found is not None:
                        return found
                else:
                    stack.append((inner, depth + 1))
    return None
