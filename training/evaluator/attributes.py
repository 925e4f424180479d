"""Attributes a prompt states, as class indices for the evaluator's classification heads.

Targets are the resolved look of the asset (e.g. the body colour of "a barrel" is brown), so every image has a
label for every head; accuracy is scored only on the attributes the prompt states in words.
"""
from typing import Dict, List, Tuple

from ..world.assets import CATEGORIES, PART_NAMES
from ..world.grammar import Spec
from ..world.vocab import COLOURS, MATERIALS, PLAIN, RELATIONS, SIZES

NONE = "none"
CLASSES: Dict[str, List[str]] = {
    "category": sorted(CATEGORIES),
    "colour": sorted(COLOURS),
    "material": [PLAIN] + sorted(MATERIALS),
    "size": [NONE] + sorted(SIZES),
    "part": [NONE] + PART_NAMES,
    "part_colour": [NONE] + sorted(COLOURS),
    "relation": [NONE] + list(RELATIONS),
    "second_category": [NONE] + sorted(CATEGORIES),
    "second_colour": [NONE] + sorted(COLOURS),
    "second_material": [NONE, PLAIN] + sorted(MATERIALS),
}
HEADS = list(CLASSES)


ALWAYS_APPLICABLE = {"category", "colour", "material", "size", "relation"}


def applicable(spec: Spec) -> List[bool]:
    """Heads whose target is meaningful for this spec (part heads need a part clause, second_* a composition);
    training only scores those, so rare cases are not drowned by "none"."""
    has = {"part": spec.objects[0].part is not None, "second": spec.relation is not None}
    return [h in ALWAYS_APPLICABLE or has["part" if h.startswith("part") else "second"] for h in HEADS]


def targets_and_stated(spec: Spec) -> Tuple[List[int], List[bool]]:
    """One class index per head, and whether the prompt states that attribute in words."""
    objects = spec.canonical_objects()  # "next to" is symmetric: its slots follow the canonical order
    first = objects[0]
    r = first.resolved()
    second = objects[1] if spec.relation else None
    r2 = second.resolved() if second else None
    values = {
        "category": (first.category, True),
        "colour": (r.colour, first.colour is not None),
        "material": (r.material, first.material is not None),
        "size": (first.size or NONE, first.size is not None),
        "part": (first.part[0] if first.part else NONE, first.part is not None),
        "part_colour": (first.part[1] if first.part else NONE, first.part is not None),
        "relation": (spec.relation or NONE, spec.relation is not None),
        "second_category": (second.category if second else NONE, second is not None),
        "second_colour": (r2.colour if r2 else NONE, bool(second and second.colour)),
        "second_material": (r2.material if r2 else NONE, bool(second and second.material)),
    }
    return [CLASSES[h].index(values[h][0]) for h in HEADS], [values[h][1] for h in HEADS]
