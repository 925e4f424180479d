"""Prompt grammar of the Asset World: prompt <-> specification, with errors that name the offending words.

    prompt  := object [ relation object ]            relation := "on top of" | "next to"
    object  := article [size] [colour] [material] category [ "with" article colour part ]
Sizes are not allowed inside compositions (both objects are already scaled down to fit the scene), nor part
clauses (to keep compositions unambiguous). "X on top of Y" needs a Y with a flat top.
"""
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .assets import CATEGORIES, PART_NAMES
from .vocab import ARTICLES, COLOURS, MATERIALS, PART_CLAUSE, RELATIONS, SIZES, article_for

VOCABULARY = sorted(
    set(ARTICLES) | {PART_CLAUSE} | set(COLOURS) | set(MATERIALS) | set(SIZES) | set(PART_NAMES)
    | {w for c in CATEGORIES for w in c.split()} | {w for r in RELATIONS for w in r.split()}
)


class PromptError(ValueError):
    """A prompt outside the grammar. `words` lists the unknown or misplaced words."""

    def __init__(self, message: str, words: List[str]):
        super().__init__(message)
        self.words = words


@dataclass(frozen=True)
class ObjectSpec:
    category: str
    size: Optional[str] = None
    colour: Optional[str] = None
    material: Optional[str] = None
    part: Optional[Tuple[str, str]] = None  # (part name, colour)

    def phrase(self) -> str:
        words = [w for w in (self.size, self.colour, self.material, self.category) if w]
        text = f"{article_for(words[0])} {' '.join(words)}"
        if self.part:
            text += f" with {article_for(self.part[1])} {self.part[1]} {self.part[0]}"
        return text

    def resolved(self) -> "ResolvedObject":
        """Defaults filled in: what the asset actually looks like."""
        cat = CATEGORIES[self.category]
        body = cat.parts["body"]
        material = self.material or body.material
        if self.colour:
            colour = self.colour
        elif self.material:
            colour = MATERIALS[self.material][1]
        else:
            colour = body.colour
        parts = {name: (style.colour, style.material) for name, style in cat.parts.items() if name != "body"}
        if self.part:
            parts[self.part[0]] = (self.part[1], parts[self.part[0]][1])
        return ResolvedObject(self.category, self.size, colour, material, tuple(sorted(parts.items())))


@dataclass(frozen=True)
class ResolvedObject:
    category: str
    size: Optional[str]
    colour: str
    material: str
    parts: Tuple[Tuple[str, Tuple[str, str]], ...]


@dataclass(frozen=True)
class Spec:
    objects: Tuple[ObjectSpec, ...]
    relation: Optional[str] = None  # objects[0] <relation> objects[1]

    def prompt(self) -> str:
        if self.relation is None:
            return self.objects[0].phrase()
        return f"{self.objects[0].phrase()} {self.relation} {self.objects[1].phrase()}"

    def key(self) -> tuple:
        """Equal keys <=> identical assets ("a barrel" and "a brown wooden barrel" share one; "A next to B" is
        "B next to A" turned half a circle, so the two share one too)."""
        return (tuple(o.resolved() for o in self.canonical_objects()), self.relation)

    def canonical_objects(self) -> Tuple[ObjectSpec, ...]:
        """The objects in a wording-independent order: as written, except that "next to" is symmetric."""
        if self.relation != "next to":
            return self.objects
        return tuple(sorted(self.objects, key=lambda o: repr(o.resolved())))


def check(spec: Spec) -> Spec:
    """Validate a spec against the grammar's rules; returns it unchanged or raises PromptError."""
    if len(spec.objects) not in (1, 2) or (len(spec.objects) == 2) != (spec.relation is not None):
        raise PromptError("a prompt has one object, or two joined by a relation", [])
    for o in spec.objects:
        if o.category not in CATEGORIES:
            raise PromptError(f"unknown category {o.category!r}", [o.category])
        if o.part and o.part[0] not in CATEGORIES[o.category].named_parts:
            allowed = ", ".join(CATEGORIES[o.category].named_parts) or "none"
            raise PromptError(f"a {o.category} has no part {o.part[0]!r} (its parts: {allowed})", [o.part[0]])
    if spec.relation is not None:
        if spec.relation not in RELATIONS:
            raise PromptError(f"unknown relation {spec.relation!r}", spec.relation.split())
        for o in spec.objects:
            if o.size or o.part:
                bad = [o.size] if o.size else ["with", o.part[0]]
                raise PromptError("sizes and part clauses are not allowed inside a composition", bad)
        base = spec.objects[1].category
        if spec.relation == "on top of" and CATEGORIES[base].flat_top is None:
            raise PromptError(f"nothing can stand on top of a {base}: it has no flat top",
                              ["on", "top", "of"] + base.split())
    return spec


def _parse_object(words: List[str], i: int) -> Tuple[ObjectSpec, int]:
    def expect_article(j):
        if j >= len(words) or words[j] not in ARTICLES:
            got = words[j] if j < len(words) else "<end>"
            raise PromptError(f"expected 'a' or 'an' at word {j + 1}, got {got!r}", [got])
        return j + 1

    i = expect_article(i)
    size = colour = material = None
    if i < len(words) and words[i] in SIZES:
        size, i = words[i], i + 1
    if i < len(words) and words[i] in COLOURS:
        colour, i = words[i], i + 1
    if i < len(words) and words[i] in MATERIALS:
        material, i = words[i], i + 1
    category = None
    for n in (2, 1):
        cand = " ".join(words[i:i + n])
        if len(words[i:i + n]) == n and cand in CATEGORIES:
            category, i = cand, i + n
            break
    if category is None:
        got = words[i] if i < len(words) else "<end>"
        raise PromptError(f"expected a category at word {i + 1}, got {got!r}", [got])
    part = None
    if i < len(words) and words[i] == PART_CLAUSE:
        i = expect_article(i + 1)
        if i >= len(words):
            raise PromptError("a part clause needs a colour and a part", ["with"])
        if words[i] not in COLOURS:
            raise PromptError(f"expected a colour after 'with a', got {words[i]!r}", [words[i]])
        if i + 1 >= len(words):
            raise PromptError("a part clause needs a part after its colour", [words[i]])
        part, i = (words[i + 1], words[i]), i + 2
    return ObjectSpec(category, size, colour, material, part), i


def parse(prompt: str) -> Spec:
    """Prompt -> Spec. Raises PromptError naming unknown words (all of them) or the first misplaced one."""
    words = prompt.lower().replace(",", " ").split()
    if not words:
        raise PromptError("empty prompt", [])
    unknown = [w for w in words if w not in VOCABULARY]
    if unknown:
        raise PromptError(f"unknown words: {', '.join(unknown)}", unknown)
    first, i = _parse_object(words, 0)
    if i == len(words):
        return check(Spec((first,)))
    relation = None
    for r in RELATIONS:
        n = len(r.split())
        if " ".join(words[i:i + n]) == r:
            relation, i = r, i + n
            break
    if relation is None:
        raise PromptError(f"expected 'on top of' or 'next to' at word {i + 1}, got {words[i]!r}", [words[i]])
    second, i = _parse_object(words, i)
    if i != len(words):
        raise PromptError(f"unexpected words after the prompt: {' '.join(words[i:])}", words[i:])
    return check(Spec((first, second), relation))

