"""The words of the Asset World: colours, materials, sizes, relations. Categories and parts live in assets.py."""

# Palette colours, linear-ish RGB in [0, 1]. Twelve words, chosen to stay separable after shading at 64x64.
COLOURS = {
    "red": (0.85, 0.12, 0.10),
    "orange": (0.95, 0.50, 0.10),
    "yellow": (0.95, 0.85, 0.15),
    "green": (0.20, 0.65, 0.20),
    "blue": (0.15, 0.30, 0.85),
    "purple": (0.55, 0.20, 0.70),
    "pink": (0.95, 0.50, 0.70),
    "white": (0.92, 0.92, 0.92),
    "black": (0.08, 0.08, 0.08),
    "brown": (0.50, 0.30, 0.12),
    "grey": (0.50, 0.50, 0.50),
    "cyan": (0.20, 0.80, 0.85),
}

# Material word -> (pattern id used by the albedo field, the palette colour it implies when no colour word is given).
# Pattern id 0 is "plain" (no material word and a plain default).
MATERIALS = {
    "wooden": (1, "brown"),
    "stone": (2, "grey"),
    "golden": (3, "yellow"),
    "icy": (4, "cyan"),
    "metal": (5, "grey"),
    "mossy": (6, "green"),
}
PLAIN = "plain"
PATTERN_IDS = {PLAIN: 0, **{m: pid for m, (pid, _) in MATERIALS.items()}}

# Size word -> (height factor, width factor, overall scale).
SIZES = {
    "tall": (1.35, 1.0, 1.0),
    "short": (0.7, 1.0, 1.0),
    "wide": (1.0, 1.4, 1.0),
    "small": (1.0, 1.0, 0.65),
}

RELATIONS = ("on top of", "next to")
ARTICLES = ("a", "an")
PART_CLAUSE = "with"


def article_for(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
