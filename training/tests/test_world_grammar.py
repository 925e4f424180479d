import random

import pytest

from training.world.assets import CATEGORIES
from training.world.grammar import PromptError, Spec, parse
from training.world.prompts import count_prompts, sample_spec
from training.world.vocab import COLOURS, MATERIALS, SIZES


def test_world_has_enough_categories_and_prompts():
    assert len(CATEGORIES) >= 24
    assert all(len(c.parts) >= 1 for c in CATEGORIES.values())
    assert len(COLOURS) >= 12 and len(MATERIALS) >= 4 and set(SIZES) >= {"tall", "short", "wide", "small"}
    assert count_prompts() >= 100_000


def test_count_matches_enumeration_of_single_object_prompts_for_one_category():
    cat = CATEGORIES["hut"]
    prompts = set()
    for size in [None, *SIZES]:
        for colour in [None, *COLOURS]:
            for material in [None, *MATERIALS]:
                words = [w for w in (size, colour, material, "hut") if w]
                base = f"a {' '.join(words)}"
                prompts.add(base)
                for part in cat.named_parts:
                    for pc in COLOURS:
                        prompts.add(f"{base} with a {pc} {part}")
    per_cm = (len(COLOURS) + 1) * (len(MATERIALS) + 1)
    assert len(prompts) == per_cm * (len(SIZES) + 1) * (1 + len(cat.named_parts) * len(COLOURS))


def test_prompt_spec_prompt_round_trip():
    rng = random.Random(3)
    for _ in range(500):
        spec = sample_spec(rng)
        assert parse(spec.prompt()) == spec
        assert parse(spec.prompt()).prompt() == spec.prompt()


def test_sampling_is_deterministic_by_seed():
    a = [sample_spec(random.Random(5)).prompt() for _ in range(3)]
    b = [sample_spec(random.Random(5)).prompt() for _ in range(3)]
    assert a == b


def test_equivalent_prompts_share_a_key():
    assert parse("a barrel").key() == parse("a brown wooden barrel").key()
    assert parse("a barrel").key() != parse("a red barrel").key()


@pytest.mark.parametrize("prompt, words", [
    ("a purple dragon", ["dragon"]),
    ("a zorblax barrel next to a quux", ["zorblax", "quux"]),
    ("", []),
])
def test_unknown_words_are_named(prompt, words):
    with pytest.raises(PromptError) as err:
        parse(prompt)
    assert err.value.words == words
    for w in words:
        assert w in str(err.value)


@pytest.mark.parametrize("prompt, named", [
    ("a barrel on top of a torch", "torch"),          # a torch has no flat top
    ("a tall barrel next to a rock", "tall"),         # no sizes inside compositions
    ("a hut with a red lid", "lid"),                  # a hut has no lid
    ("a barrel red", "red"),                          # word order
])
def test_impossible_prompts_name_the_words(prompt, named):
    with pytest.raises(PromptError) as err:
        parse(prompt)
    assert named in err.value.words


def test_part_clause_and_composition_parse():
    spec = parse("a small blue icy hut with a yellow roof")
    o = spec.objects[0]
    assert (o.size, o.colour, o.material, o.category, o.part) == ("small", "blue", "icy", "hut", ("roof", "yellow"))
    spec = parse("a blue crate on top of a red barrel")
    assert spec.relation == "on top of" and [o.category for o in spec.objects] == ["crate", "barrel"]
    assert isinstance(spec, Spec)


def test_next_to_is_symmetric_and_on_top_of_is_not():
    a, b = parse("a red barrel next to a rock"), parse("a rock next to a red barrel")
    assert a.key() == b.key()
    assert parse("a crate on top of a barrel").key() != parse("a barrel on top of a crate").key()


def test_held_out_compositions_are_symmetric_for_next_to():
    from training.world.prompts import split_of
    for x in sorted(CATEGORIES):
        for y in sorted(CATEGORIES):
            assert split_of(parse(f"a {x} next to a {y}")) == split_of(parse(f"a {y} next to a {x}"))
