"""Hard negative prompts: the true prompt with one thing changed, so the evaluator learns every attribute
(a random batch rarely holds "a red barrel" and "a red wooden barrel" together, but R@1 over 500 prompts does)."""
import random
from dataclasses import replace

from ..world.assets import CATEGORIES
from ..world.grammar import PromptError, Spec, check
from ..world.vocab import COLOURS, MATERIALS, SIZES

_COLOURS, _MATERIALS, _SIZES, _CATS = sorted(COLOURS), sorted(MATERIALS), sorted(SIZES), sorted(CATEGORIES)


def _other(rng, options, current):
    choices = [o for o in options if o != current]
    return rng.choice(choices)


def _change_object(rng, o, in_composition):
    # Materials and part colours are the attributes the evaluator confuses most, so they are drawn most often.
    kind = rng.choices(["colour", "material", "category", "size", "part"], weights=[2, 3, 1.5, 1, 2.5])[0]
    if kind == "colour":
        return replace(o, colour=_other(rng, _COLOURS + [None], o.colour))
    if kind == "material":
        return replace(o, material=_other(rng, _MATERIALS + [None], o.material))
    if kind == "size" and not in_composition:
        return replace(o, size=_other(rng, _SIZES + [None], o.size))
    if kind == "part" and o.part:
        return replace(o, part=(o.part[0], _other(rng, _COLOURS, o.part[1])))
    return replace(o, category=_other(rng, _CATS, o.category), part=None)


def perturb(spec: Spec, rng: random.Random) -> Spec:
    """A valid spec that looks different from `spec` in one respect."""
    for _ in range(20):
        if spec.relation is None:
            cand = Spec((_change_object(rng, spec.objects[0], False),))
        else:
            a, b = spec.objects
            move = rng.random()
            if move < 0.2:
                cand = Spec((b, a), spec.relation)
            elif move < 0.35:
                cand = Spec((a, b), "next to" if spec.relation == "on top of" else "on top of")
            elif move < 0.7:
                cand = Spec((_change_object(rng, a, True), b), spec.relation)
            else:
                cand = Spec((a, _change_object(rng, b, True)), spec.relation)
        try:
            check(cand)
        except PromptError:
            continue
        if cand.key() != spec.key():
            return cand
    return Spec((replace(spec.objects[0], category=_other(rng, _CATS, spec.objects[0].category), part=None),))
