"""For each attribute a prompt states, the same prompt with that attribute set to every other value.

Attribute accuracy asks the evaluator, CLIP-style (zero-shot), whether the rendered asset matches its own prompt
better than every such alternative: "a red wooden barrel" against the other colours, the other materials, the other
categories... one attribute at a time.
"""
from dataclasses import replace
from typing import Dict, List

from ..world.assets import CATEGORIES
from ..world.grammar import ObjectSpec, PromptError, Spec, check
from ..world.vocab import COLOURS, MATERIALS, RELATIONS, SIZES


def _object_variants(o: ObjectSpec, prefix: str) -> Dict[str, List[ObjectSpec]]:
    out = {}
    if o.colour:
        out[f"{prefix}colour"] = [replace(o, colour=c) for c in COLOURS if c != o.colour]
    if o.material:
        out[f"{prefix}material"] = [replace(o, material=m) for m in MATERIALS if m != o.material]
    if o.size:
        out[f"{prefix}size"] = [replace(o, size=s) for s in [None, *SIZES] if s != o.size]
    out[f"{prefix}category"] = [replace(o, category=c, part=None if o.part and o.part[0] not in
                                        CATEGORIES[c].named_parts else o.part)
                                for c in CATEGORIES if c != o.category]
    if o.part:
        name, colour = o.part
        out[f"{prefix}part_colour"] = [replace(o, part=(name, c)) for c in COLOURS if c != colour]
        out[f"{prefix}part"] = [replace(o, part=(p, colour)) for p in CATEGORIES[o.category].named_parts
                                if p != name]
    return out


def alternatives(spec: Spec) -> Dict[str, List[str]]:
    """attribute name -> alternative prompts (valid, and each a different asset from `spec`)."""
    variants: Dict[str, List[Spec]] = {}
    for name, objs in _object_variants(spec.objects[0], "").items():
        variants[name] = [Spec((o,) + spec.objects[1:], spec.relation) for o in objs]
    if spec.relation:
        a, b = spec.objects
        for name, objs in _object_variants(b, "second_").items():
            variants[name] = [Spec((a, o), spec.relation) for o in objs]
        variants["relation"] = [Spec((a, b), r) for r in RELATIONS if r != spec.relation] + [Spec((b, a), spec.relation)]
    key = spec.key()
    out = {}
    for name, specs in variants.items():
        prompts = []
        for s in specs:
            try:
                check(s)
            except PromptError:
                continue
            if s.key() != key:
                prompts.append(s.prompt())
        if prompts:
            out[name] = prompts
    return out
