"""Rewrite a knowledge-base target file from atlas-1 bases to atlas-2 bases.

Only the values of ``regions`` and of each trigger point's ``referral.essential`` and
``referral.spillover`` are replaced, in place, by their character spans in the text; every
other line (danger rules, needling, comments) is left byte for byte, so the rewrite merges
cleanly with edits others make to the same file. Pure text in, text out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .v1 import CONTRA, convert_refs, v1_map

WIDTH = 118


@dataclass
class Conversion:
    text: str
    changed: bool
    notes: list[str] = field(default_factory=list)


def _get(node: Node, key: str) -> Node | None:
    pair = _pair(node, key)
    return pair[1] if pair else None


def _pair(node: Node, key: str) -> tuple[Node, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def _values(node: Node) -> list[str]:
    return [str(v.value) for v in node.value if isinstance(v, ScalarNode)] if isinstance(node, SequenceNode) else []


def _flow(values: list[str], indent: int) -> str:
    """A YAML flow list, wrapped under its opening bracket when it is long."""
    lines, cur = [], "["
    for i, v in enumerate(values):
        item = v + (", " if i < len(values) - 1 else "]")
        if len(cur) + len(item) + indent > WIDTH and cur.strip() != "[":
            lines.append(cur.rstrip())
            cur = " " * (indent + 1)
        cur += item
    if not values:
        cur = "[]"
    lines.append(cur)
    return "\n".join(lines)


def _sequences(root: Node) -> list[tuple[str, Node, SequenceNode]]:
    found: list[tuple[str, Node, SequenceNode]] = []
    pair = _pair(root, "regions")
    if pair and isinstance(pair[1], SequenceNode):
        found.append(("regions", pair[0], pair[1]))
    tps = _get(root, "trigger_points")
    for tp in tps.value if isinstance(tps, SequenceNode) else []:
        referral = _get(tp, "referral")
        for key in ("essential", "spillover"):
            pair = _pair(referral, key) if referral is not None else None
            if pair and isinstance(pair[1], SequenceNode):
                found.append((key, pair[0], pair[1]))
    return found


def _span(text: str, key: Node, seq: SequenceNode) -> tuple[int, int, int]:
    """Where the list's text starts and ends, and the column it starts at.

    A flow list (``[a, b]``) is replaced as it stands; a block list (``- a`` lines) from
    just after the key's colon to the end of its last item, so the flow list that replaces
    it sits on the key's line.
    """
    if seq.flow_style:
        return seq.start_mark.index, seq.end_mark.index, seq.start_mark.column
    colon = text.index(":", key.end_mark.index) + 1
    last = seq.value[-1].end_mark.index if seq.value else seq.start_mark.index
    return colon, last, key.start_mark.column + len(str(key.value)) + 2


def _is_v1(refs: list[str]) -> bool:
    old = v1_map()
    return bool(refs) and all(r.removeprefix(CONTRA) in old for r in refs)


def convert_target_text(text: str) -> Conversion:
    """Convert one target file; a file already on atlas 2 comes back unchanged.

    A file is taken to be on atlas 1 only when every region it names is an atlas-1 base;
    one atlas-2-only name means it was converted (or written) on atlas 2 already.
    """
    root = yaml.compose(text)
    if root is None:
        return Conversion(text, False, ["empty file"])
    seqs = _sequences(root)
    refs = [r for _, _, seq in seqs for r in _values(seq)]
    if not _is_v1(refs):
        return Conversion(text, False, ["already on atlas 2 (names a region atlas 1 does not have)"])
    replacements: list[tuple[int, int, str]] = []
    essential: list[str] = []
    for name, key, seq in seqs:
        new = convert_refs(_values(seq))
        if name == "essential":
            essential = new
        elif name == "spillover":
            new = [r for r in new if r not in essential]  # a zone is essential or spillover, not both
        start, end, column = _span(text, key, seq)
        flow = _flow(new, column)
        replacements.append((start, end, flow if seq.flow_style else " " + flow))
    out = text
    for start, end, value in sorted(replacements, reverse=True):
        out = out[:start] + value + out[end:]
    return Conversion(out, out != text, [])
