"""Sampling prompts from the grammar, counting it, and the train / validation / held-out test splits.

The held-out test split is compositional: a fixed share of (colour, category), (material, category) and
(category, relation, category) combinations never appears in a train prompt, so a model that scores on the test
split has put together attributes and objects it only saw apart.
"""
import random
import zlib
from typing import Iterable, List, Optional, Set

from .assets import CATEGORIES
from .grammar import ObjectSpec, Spec, check
from .vocab import COLOURS, MATERIALS, RELATIONS, SIZES

HELD_OUT_PERCENT = {"colour": 10, "material": 10, "composition": 10}
VALIDATION_PERCENT = 2
SPLITS = ("train", "validation", "test")
SCALES = {"15": 15, "415": 415, "2.5k": 2_520, "17k": 17_000, "100k": 100_000}

_CATS = sorted(CATEGORIES)
_COLOURS = sorted(COLOURS)
_MATERIALS = sorted(MATERIALS)
_SIZES = sorted(SIZES)
_FLAT_TOPS = [c for c in _CATS if CATEGORIES[c].flat_top is not None]


def _bucket(text: str) -> int:
    return zlib.crc32(text.encode()) % 100


def held_out_combinations(spec: Spec) -> List[str]:
    """The held-out combinations in a spec's look (empty for a train/validation spec).

    Decided on resolved attributes, so that one asset can never be in two splits under two wordings
    ("a tower" is "a grey stone tower").
    """
    found = []
    for o in spec.objects:
        r = o.resolved()
        if _bucket(f"colour|{r.colour}|{o.category}") < HELD_OUT_PERCENT["colour"]:
            found.append(f"{r.colour} {o.category}")
        if _bucket(f"material|{r.material}|{o.category}") < HELD_OUT_PERCENT["material"]:
            found.append(f"{r.material} {o.category}")
    if spec.relation:
        a, b = (o.category for o in spec.canonical_objects())
        if _bucket(f"composition|{a}|{spec.relation}|{b}") < HELD_OUT_PERCENT["composition"]:
            found.append(f"{a} {spec.relation} {b}")
    return found


def split_of(spec: Spec) -> str:
    if held_out_combinations(spec):
        return "test"
    return "validation" if zlib.crc32(repr(spec.key()).encode()) % 100 < VALIDATION_PERCENT else "train"


def _maybe(rng: random.Random, p: float, options: List[str]) -> Optional[str]:
    return rng.choice(options) if rng.random() < p else None


def sample_object(rng: random.Random, in_composition: bool, category: Optional[str] = None) -> ObjectSpec:
    category = category or rng.choice(_CATS)
    size = None if in_composition else _maybe(rng, 0.5, _SIZES)
    colour = _maybe(rng, 0.7, _COLOURS)
    material = _maybe(rng, 0.45, _MATERIALS)
    part = None
    parts = CATEGORIES[category].named_parts
    if not in_composition and parts and rng.random() < 0.3:
        part = (rng.choice(parts), rng.choice(_COLOURS))
    return ObjectSpec(category, size, colour, material, part)


def sample_spec(rng: random.Random, composition_share: float = 0.35) -> Spec:
    if rng.random() >= composition_share:
        return Spec((sample_object(rng, False),))
    relation = rng.choice(RELATIONS)
    base_choices = _FLAT_TOPS if relation == "on top of" else _CATS
    base = sample_object(rng, True, rng.choice(base_choices))
    return check(Spec((sample_object(rng, True), base), relation))


def sample_split_specs(rng: random.Random, split: str, n: int) -> List[Spec]:
    """n specs of one split (repeats possible), drawn from the grammar's sampling distribution."""
    out = []
    while len(out) < n:
        spec = sample_spec(rng)
        if split_of(spec) == split:
            out.append(spec)
    return out


def distinct_prompts(rng: random.Random, split: str, n: int, seen: Optional[Set[tuple]] = None) -> List[str]:
    """n prompts of one split with pairwise different assets (distinct spec keys), in sampling order."""
    seen = set() if seen is None else seen
    out = []
    while len(out) < n:
        spec = sample_spec(rng)
        if split_of(spec) != split:
            continue
        key = spec.key()
        if key not in seen:
            seen.add(key)
            out.append(spec.prompt())
    return out


def count_prompts() -> int:
    """Number of distinct prompt strings the grammar accepts."""
    per_colour_material = (len(COLOURS) + 1) * (len(MATERIALS) + 1)
    singles = sum(per_colour_material * (len(SIZES) + 1) * (1 + len(c.named_parts) * len(COLOURS))
                  for c in CATEGORIES.values())
    objects = len(CATEGORIES) * per_colour_material
    on_top = objects * len(_FLAT_TOPS) * per_colour_material
    next_to = objects * objects
    return singles + on_top + next_to


def write_lines(path, lines: Iterable[str]) -> None:
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def read_lines(path) -> List[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]

