"""Bounded reading of the JSON and YAML documents users hand cloudsweep, and bounded echoes of what they hold.

Every file or event a user gives (parameters, accounts, mutelist, rule events) is read here or with `BoundedLoader`:

- **Depth**: a document nested deeper than `MAX_DEPTH` levels is refused (`DocumentError` for JSON, a YAML
  `ComposerError` with its line for YAML), before anything recursive (Python's `json`, `repr`, the checks) can run
  out of stack and end the process with a `RecursionError` traceback.
- **YAML aliases** (`&anchor` / `*alias`): PyYAML shares the aliased node, so a "billion laughs" file of a few
  hundred bytes stands for billions of values, which any walk over the document (a `repr` in an error message, a
  validation loop) then visits. The nodes that aliases stand for are counted as the file is composed (each alias
  counts its anchor's whole subtree, at once, without walking it): more than `MAX_ALIAS_NODES` in all, or an alias
  inside the node it names, is refused.
- **Echoes**: `shown(value)` is what an error message may quote of a value: a repr of at most `SHOWN_LIMIT`
  characters, built without walking more of the value than it shows.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping
from typing import Any

import yaml

from scanner.errors import CloudSweepError

# No rule event, parameters file, accounts file or mutelist comes near this: AWS Config items are a few levels deep.
MAX_DEPTH = 100
# Nodes YAML aliases may stand for, in all. Generous: an accounts file of 10,000 accounts sharing one list of 20
# regions through an alias (as yaml.safe_dump writes a shared list) is 200,000.
MAX_ALIAS_NODES = 1_000_000
SHOWN_LIMIT = 200


class DocumentError(CloudSweepError, ValueError):
    """A document refused for its shape (too deep) rather than its syntax; the message names no file."""


def _depth_exceeded() -> DocumentError:
    return DocumentError(f"nested deeper than {MAX_DEPTH} levels")


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise DocumentError if `value` (dicts and lists, as JSON makes them) nests deeper than `limit` levels.

    Iterative, so that it works on any depth; each container is visited once (a shared one, once per reference).
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            raise _depth_exceeded()
        stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list | tuple))


def load_json(text: str | bytes) -> Any:
    """`json.loads`, with too deep a document a DocumentError (a ValueError, as json's own errors are)."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise _depth_exceeded() from None
    check_depth(document)
    return document


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with a bound on nesting (`MAX_DEPTH`) and on what aliases expand to (`MAX_ALIAS_NODES`).

    Subclass it as you would SafeLoader. Refusals are `yaml.composer.ComposerError`s, marked with their line.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        # Nodes composed so far, each alias counting its anchor's nodes (the document as if aliases were copies).
        self._expanded = 0
        self._alias_nodes = 0
        # The most deeply nested child of each node being composed (its height in collections); the first entry
        # stands for the document, the parent of the root node.
        self._child_heights: list[int] = [0]
        # id(anchored node) -> (the node, kept alive so the id stays its own; its expanded size; its height).
        self._anchored: dict[int, tuple[yaml.Node, int, int]] = {}

    def _refuse(self, problem: str, mark: Any) -> yaml.composer.ComposerError:
        return yaml.composer.ComposerError(None, None, problem, mark)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            node = super().compose_node(parent, index)
            known = self._anchored.get(id(node))
            if known is None:
                raise self._refuse(f"alias *{shown_text(event.anchor)} is inside the node it names", event.start_mark)
            _, size, height = known
            self._alias_nodes += size
            self._expanded += size
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise self._refuse(
                    f"YAML aliases stand for more than {MAX_ALIAS_NODES:,} values (an alias bomb?)", event.start_mark
                )
            if self._depth + height > MAX_DEPTH:
                raise self._refuse(f"nested deeper than {MAX_DEPTH} levels (through an alias)", event.start_mark)
            self._child_heights[-1] = max(self._child_heights[-1], height)
            return node
        event = self.peek_event()  # type: ignore[no-untyped-call]
        collection = not isinstance(event, yaml.ScalarEvent)
        if collection:
            if self._depth >= MAX_DEPTH:
                raise self._refuse(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            self._depth += 1
        self._child_heights.append(0)
        start = self._expanded
        node = super().compose_node(parent, index)
        height = self._child_heights.pop() + (1 if collection else 0)
        if collection:
            self._depth -= 1
        self._expanded += 1
        self._child_heights[-1] = max(self._child_heights[-1], height)
        if event.anchor is not None and node is not None:
            self._anchored[id(node)] = (node, self._expanded - start, height)
        return node


def load_yaml(text: str, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """One YAML document, read with `loader` (BoundedLoader or a subclass)."""
    return yaml.load(text, Loader=loader)  # noqa: S506  (a SafeLoader subclass)


_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = SHOWN_LIMIT
_REPR.maxother = SHOWN_LIMIT
_REPR.maxlong = 40
for _name in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque", "maxarray"):
    setattr(_REPR, _name, 6)


def _bounded_repr(value: Any) -> str:
    try:
        return _REPR.repr(value)
    except ValueError:  # an int beyond Python's 4300-digit limit for str()
        return f"<a {type(value).__name__} too long to show>"


def shown(value: Any, limit: int = SHOWN_LIMIT) -> str:
    """A repr of `value` for an error message: at most `limit` characters (a longer one is cut, with `…`), and only
    the first few items of each list or mapping, a few levels deep, are even looked at."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[: limit - 40]!r}… ({len(value):,} characters)"
    text = _bounded_repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_text(text: Any, limit: int = SHOWN_LIMIT) -> str:
    """`text` as it is (no quotes added) when a string, else its `shown` repr; at most `limit` characters."""
    if not isinstance(text, str):
        return shown(text, limit)
    return text if len(text) <= limit else f"{text[: limit - 40]}… ({len(text):,} characters)"


def json_kind(value: Any) -> str:
    """What JSON type a value is, for annotations saying a field could not be read ("a string, not a list")."""
    if value is None:
        return "null"
    if value == "":
        return "an empty string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__
