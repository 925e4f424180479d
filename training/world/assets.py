"""The 25 asset categories as signed-distance programs of named parts.

A builder takes the height and width factors (1.0 = canonical; size words change them) and returns primitives in
asset units with the ground at y = 0 and the front facing +Z; compile.py scales and places them. Every category has a
"body" part that the colour and material words of a prompt apply to, and named parts that part clauses can recolour.
"""
import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from . import primitives as P

Vec3 = Tuple[float, float, float]


@dataclass(frozen=True)
class Prim:
    type: int
    centre: Vec3
    params: Tuple[float, float, float, float]
    part: str = "body"
    euler_deg: Vec3 = (0.0, 0.0, 0.0)  # rotation about x, then y, then z (local -> asset frame)
    negative: bool = False  # carved out of the whole asset


@dataclass(frozen=True)
class PartStyle:
    colour: str
    material: str = "plain"


@dataclass(frozen=True)
class Category:
    name: str
    build: Callable[[float, float], List[Prim]]
    parts: Dict[str, PartStyle]  # includes "body"
    flat_top: Optional[Callable[[float, float], float]] = None  # top height if things can stand on it

    @property
    def named_parts(self) -> List[str]:
        return [p for p in self.parts if p != "body"]


def _p(t, c, q, part="body", rot=(0.0, 0.0, 0.0), neg=False):
    q = tuple(q) + (0.0,) * (4 - len(q))
    return Prim(t, tuple(c), q, part, tuple(rot), neg)


def barrel(h, w):
    hh, r = 0.55 * h, 0.38 * w
    return [
        _p(P.CYLINDER, (0, hh, 0), (r, hh, 0.04)),
        _p(P.ELLIPSOID, (0, hh, 0), (r * 1.1, hh * 0.85, r * 1.1)),
        _p(P.TORUS, (0, hh * 0.45, 0), (r * 1.07, 0.03), "hoops"),
        _p(P.TORUS, (0, hh * 1.55, 0), (r * 1.07, 0.03), "hoops"),
    ]


def crate(h, w):
    hy, hx = 0.42 * h, 0.42 * w
    prims = [_p(P.BOX, (0, hy, 0), (hx, hy, hx, 0.02))]
    for z in (hx, -hx):
        for a in (1, -1):
            ang = a * math.degrees(math.atan2(hy, hx))
            prims.append(_p(P.BOX, (0, hy, z), (hx * 1.25, 0.035, 0.03, 0.01), "frame", (0, 0, ang)))
    for x in (hx, -hx):
        prims.append(_p(P.BOX, (x, hy, 0), (0.03, hy, hx * 0.35, 0.01), "frame"))
    return prims


def treasure_chest(h, w):
    hy, hx, hz = 0.25 * h, 0.5 * w, 0.3
    return [
        _p(P.BOX, (0, hy, 0), (hx, hy, hz, 0.02)),
        _p(P.CYLINDER, (0, 2 * hy, 0), (hz, hx, 0.02), "lid", (0, 0, 90)),
        _p(P.BOX, (0, 2 * hy, hz + 0.02), (0.07, 0.09, 0.04, 0.01), "lock"),
    ]


def table(h, w):
    top_y, hx, hz = 0.7 * h, 0.62 * w, 0.42
    prims = [_p(P.BOX, (0, top_y, 0), (hx, 0.045, hz, 0.015))]
    for x in (hx - 0.08, -(hx - 0.08)):
        for z in (hz - 0.08, -(hz - 0.08)):
            prims.append(_p(P.CYLINDER, (x, top_y / 2, z), (0.05, top_y / 2, 0.0), "legs"))
    return prims


def chair(h, w):
    seat_y, hx = 0.45 * h, 0.32 * w
    prims = [_p(P.BOX, (0, seat_y, 0), (hx, 0.04, 0.32, 0.01))]
    for x in (hx - 0.05, -(hx - 0.05)):
        for z in (0.27, -0.27):
            prims.append(_p(P.CYLINDER, (x, seat_y / 2, z), (0.04, seat_y / 2, 0.0), "legs"))
    prims.append(_p(P.BOX, (0, seat_y + 0.36 * h, -0.29), (hx, 0.36 * h, 0.04, 0.01), "back"))
    return prims


def bench(h, w):
    seat_y, hx = 0.42 * h, 0.62 * w
    prims = [_p(P.BOX, (0, seat_y, 0), (hx, 0.045, 0.24, 0.015))]
    for x in (hx - 0.12, -(hx - 0.12)):
        prims.append(_p(P.BOX, (x, seat_y / 2, 0), (0.05, seat_y / 2, 0.2, 0.01), "legs"))
    return prims


def lamp_post(h, w):
    pole = 0.5 * h
    return [
        _p(P.CYLINDER, (0, pole, 0), (0.045 * w + 0.01, pole, 0.0)),
        _p(P.CYLINDER, (0, 0.05, 0), (0.16 * w, 0.05, 0.02)),
        _p(P.BOX, (0, 2 * pole + 0.12, 0), (0.12 * w, 0.13, 0.12 * w, 0.02), "lamp"),
        _p(P.CONE, (0, 2 * pole + 0.32, 0), (0.19 * w, 0.02, 0.08), "cap"),
    ]


def torch_(h, w):
    handle = 0.42 * h
    return [
        _p(P.CONE, (0, handle, 0), (0.09 * w, 0.05 * w, handle)),
        _p(P.CONE, (0, 2 * handle + 0.06, 0), (0.07 * w, 0.16 * w, 0.08), "cup"),
        _p(P.ELLIPSOID, (0, 2 * handle + 0.28, 0), (0.14 * w, 0.24, 0.14 * w), "flame"),
    ]


def pine_tree(h, w):
    trunk = 0.12 * h
    prims = [_p(P.CYLINDER, (0, trunk, 0), (0.09 * w, trunk, 0.0), "trunk")]
    y = 2 * trunk
    for r, hh in ((0.55, 0.28), (0.43, 0.24), (0.3, 0.2)):
        prims.append(_p(P.CONE, (0, y + hh * h, 0), (r * w, 0.02, hh * h)))
        y += hh * h * 1.1
    return prims


def round_tree(h, w):
    trunk = 0.25 * h
    r = 0.45 * w
    return [
        _p(P.CYLINDER, (0, trunk, 0), (0.09 * w, trunk, 0.0), "trunk"),
        _p(P.ELLIPSOID, (0, 0.88 * h, 0), (r, 0.42 * h, r)),
    ]


def mushroom(h, w):
    stem = 0.3 * h
    return [
        _p(P.CYLINDER, (0, stem, 0), (0.13 * w, stem, 0.03), "stem"),
        _p(P.ELLIPSOID, (0, 2 * stem + 0.06, 0), (0.5 * w, 0.26 * h, 0.5 * w)),
    ]


def cactus(h, w):
    hh = 0.55 * h
    arm_y1, arm_y2 = 0.9 * hh, 1.15 * hh
    return [
        _p(P.CAPSULE, (0, hh, 0), (0.15 * w, hh - 0.1 * w)),
        _p(P.CAPSULE, (0.25 * w, arm_y1, 0), (0.08 * w, 0.15 * w), "arms", (0, 0, 90)),
        _p(P.CAPSULE, (0.4 * w, arm_y1 + 0.2, 0), (0.08 * w, 0.2), "arms"),
        _p(P.CAPSULE, (-0.25 * w, arm_y2, 0), (0.08 * w, 0.15 * w), "arms", (0, 0, 90)),
        _p(P.CAPSULE, (-0.4 * w, arm_y2 + 0.15, 0), (0.08 * w, 0.15), "arms"),
        _p(P.SPHERE, (0, 2 * hh + 0.02, 0), (0.09,), "flower"),
    ]


def rock(h, w):
    return [
        _p(P.ELLIPSOID, (0, 0.3 * h, 0), (0.55 * w, 0.42 * h, 0.45 * w)),
        _p(P.ELLIPSOID, (0.25 * w, 0.2 * h, 0.15), (0.35 * w, 0.3 * h, 0.32 * w)),
        _p(P.ELLIPSOID, (-0.3 * w, 0.15 * h, -0.1), (0.3 * w, 0.25 * h, 0.3 * w)),
        _p(P.BOX, (0, -0.5, 0), (1.0, 0.5, 1.0, 0.0), neg=True),
    ]


def crystal(h, w):
    return [
        _p(P.OCTAHEDRON, (0, 0.12 + 0.55 * h, 0), (0.22 * w, 0.6 * h)),
        _p(P.OCTAHEDRON, (0.22 * w, 0.1 + 0.3 * h, 0.05), (0.12 * w, 0.35 * h), rot=(0, 0, -25)),
        _p(P.OCTAHEDRON, (-0.2 * w, 0.1 + 0.28 * h, -0.05), (0.11 * w, 0.3 * h), rot=(0, 0, 28)),
        _p(P.ELLIPSOID, (0, 0.06, 0), (0.4 * w, 0.12, 0.35 * w), "base"),
    ]


def potion_bottle(h, w):
    r = 0.3 * w
    neck = 0.16 * h
    return [
        _p(P.SPHERE, (0, r, 0), (r,)),
        _p(P.CYLINDER, (0, 2 * r + neck - 0.05, 0), (0.09, neck, 0.0)),
        _p(P.CYLINDER, (0, 2 * r + 2 * neck, 0), (0.1, 0.06, 0.02), "cork"),
    ]


def shield(h, w):
    ry, rx = 0.55 * h, 0.45 * w
    return [
        _p(P.ELLIPSOID, (0, ry + 0.02, 0), (rx, ry, 0.07)),
        _p(P.SPHERE, (0, ry + 0.02, 0.04), (0.13,), "boss"),
        _p(P.BOX, (0, ry + 0.02, 0.05), (rx * 0.95, 0.04, 0.02, 0.01), "band"),
    ]


def tower(h, w):
    hh, r = 0.5 * h, 0.33 * w
    return [
        _p(P.CYLINDER, (0, hh, 0), (r, hh, 0.01)),
        _p(P.CONE, (0, 2 * hh + 0.25, 0), (r * 1.3, 0.0, 0.25), "roof"),
        _p(P.BOX, (0, hh * 1.2, r), (0.07, 0.1, 0.05, 0.01), "window"),
    ]


def hut(h, w):
    hy, hx = 0.28 * h, 0.42 * w
    return [
        _p(P.BOX, (0, hy, 0), (hx, hy, 0.42, 0.01)),
        _p(P.BOX, (0, 2 * hy, 0), (hx * 0.8, hx * 0.8, 0.5, 0.01), "roof", (0, 0, 45)),
        _p(P.BOX, (0, 0.2, 0.42), (0.09, 0.2, 0.02), "door"),
    ]


def well(h, w):
    ring_h, r = 0.18 * h, 0.38 * w
    post_h = 0.45 * h
    return [
        _p(P.CYLINDER, (0, ring_h, 0), (r, ring_h, 0.02)),
        _p(P.CYLINDER, (0, ring_h + 0.1, 0), (r - 0.09, ring_h + 0.1, 0.0), neg=True),
        _p(P.BOX, (r - 0.04, post_h, 0), (0.035, post_h, 0.035, 0.0), "posts"),
        _p(P.BOX, (-(r - 0.04), post_h, 0), (0.035, post_h, 0.035, 0.0), "posts"),
        _p(P.BOX, (0, 2 * post_h, 0), (0.28, 0.28, r * 0.9, 0.01), "roof", (0, 0, 45)),
    ]


def tent(h, w):
    half_base, ridge = 0.5 * w, 0.75 * h
    slope = math.degrees(math.atan2(ridge, half_base))
    half_len = 0.5 * math.hypot(half_base, ridge)
    return [
        _p(P.BOX, (-half_base / 2, ridge / 2, 0), (half_len, 0.025, 0.45, 0.01), rot=(0, 0, slope)),
        _p(P.BOX, (half_base / 2, ridge / 2, 0), (half_len, 0.025, 0.45, 0.01), rot=(0, 0, -slope)),
        _p(P.BOX, (0, 0.17, 0.0), (0.12, 0.17, 0.4, 0.01), "door"),
        _p(P.CYLINDER, (0, ridge + 0.1, 0.35), (0.015, 0.12, 0.0), "flag"),
        _p(P.BOX, (0.07, ridge + 0.17, 0.35), (0.07, 0.05, 0.01), "flag"),
    ]


def snowman(h, w):
    r1, r2, r3 = 0.3 * w, 0.22 * w, 0.16 * w
    y1 = r1
    y2 = y1 + (r1 + r2) * 0.8 * h
    y3 = y2 + (r2 + r3) * 0.8 * h
    return [
        _p(P.SPHERE, (0, y1, 0), (r1,)),
        _p(P.SPHERE, (0, y2, 0), (r2,)),
        _p(P.SPHERE, (0, y3, 0), (r3,)),
        _p(P.CONE, (0, y3, r3 + 0.07), (0.04, 0.0, 0.09), "nose", (90, 0, 0)),
        _p(P.CYLINDER, (0, y3 + r3 + 0.08, 0), (0.12, 0.1, 0.0), "hat"),
        _p(P.CYLINDER, (0, y3 + r3 - 0.01, 0), (0.18, 0.015, 0.0), "hat"),
    ]


def traffic_cone(h, w):
    hh = 0.45 * h
    return [
        _p(P.BOX, (0, 0.03, 0), (0.33 * w, 0.03, 0.33 * w, 0.01)),
        _p(P.CONE, (0, 0.06 + hh, 0), (0.26 * w, 0.04, hh)),
        _p(P.CONE, (0, 0.06 + hh, 0), (0.27 * w * 0.5 + 0.02 + 0.01, 0.27 * w * 0.5 + 0.01, 0.1 * h), "stripe"),
    ]


def mailbox(h, w):
    post = 0.4 * h
    return [
        _p(P.BOX, (0, post, 0), (0.05, post, 0.05, 0.0), "post"),
        _p(P.BOX, (0, 2 * post + 0.13, 0), (0.17, 0.13, 0.3 * w, 0.01)),
        _p(P.CYLINDER, (0, 2 * post + 0.26, 0), (0.17, 0.3 * w, 0.0), rot=(90, 0, 0)),
        _p(P.BOX, (0.2, 2 * post + 0.35, 0.1), (0.015, 0.12, 0.06), "flag"),
    ]


def campfire(h, w):
    r = 0.38 * w
    prims = [_p(P.TORUS, (0, 0.07, 0), (r, 0.07), "stones")]
    for ang in (0.0, 60.0, 120.0):
        prims.append(_p(P.CAPSULE, (0, 0.1, 0), (0.06, r * 0.75), rot=(90, ang, 0)))
    prims.append(_p(P.CONE, (0, 0.15 + 0.3 * h, 0), (0.2 * w, 0.0, 0.3 * h), "flames"))
    return prims


def signpost(h, w):
    post = 0.55 * h
    return [
        _p(P.CYLINDER, (0, post, 0), (0.05, post, 0.0), "post"),
        _p(P.BOX, (0, 2 * post - 0.18, 0.07), (0.42 * w, 0.14, 0.03, 0.01)),
        _p(P.CONE, (0, 2 * post + 0.04, 0), (0.06, 0.0, 0.04), "post"),
    ]


def _top(frac):
    return lambda h, w: frac * h


CATEGORIES: Dict[str, Category] = {c.name: c for c in [
    Category("barrel", barrel, {"body": PartStyle("brown", "wooden"), "hoops": PartStyle("grey", "metal")},
             _top(1.1)),
    Category("crate", crate, {"body": PartStyle("orange", "wooden"), "frame": PartStyle("brown", "wooden")},
             _top(0.84)),
    Category("treasure chest", treasure_chest, {"body": PartStyle("brown", "wooden"), "lid": PartStyle("red"),
                                                "lock": PartStyle("yellow", "golden")}),
    Category("table", table, {"body": PartStyle("brown", "wooden"), "legs": PartStyle("black")},
             lambda h, w: 0.7 * h + 0.045),
    Category("chair", chair, {"body": PartStyle("red"), "legs": PartStyle("brown", "wooden"),
                              "back": PartStyle("red")}),
    Category("bench", bench, {"body": PartStyle("green"), "legs": PartStyle("grey", "metal")},
             lambda h, w: 0.42 * h + 0.045),
    Category("lamp post", lamp_post, {"body": PartStyle("black", "metal"), "lamp": PartStyle("yellow"),
                                      "cap": PartStyle("black")}),
    Category("torch", torch_, {"body": PartStyle("brown", "wooden"), "cup": PartStyle("grey", "metal"),
                               "flame": PartStyle("orange")}),
    Category("pine tree", pine_tree, {"body": PartStyle("green"), "trunk": PartStyle("brown", "wooden")}),
    Category("round tree", round_tree, {"body": PartStyle("green"), "trunk": PartStyle("brown", "wooden")}),
    Category("mushroom", mushroom, {"body": PartStyle("red"), "stem": PartStyle("white")}),
    Category("cactus", cactus, {"body": PartStyle("green"), "arms": PartStyle("green"),
                                "flower": PartStyle("pink")}),
    Category("rock", rock, {"body": PartStyle("grey", "stone")}, _top(0.7)),
    Category("crystal", crystal, {"body": PartStyle("cyan", "icy"), "base": PartStyle("grey", "stone")}),
    Category("potion bottle", potion_bottle, {"body": PartStyle("purple"), "cork": PartStyle("brown", "wooden")}),
    Category("shield", shield, {"body": PartStyle("blue"), "boss": PartStyle("yellow", "golden"),
                                "band": PartStyle("white")}),
    Category("tower", tower, {"body": PartStyle("grey", "stone"), "roof": PartStyle("red"),
                              "window": PartStyle("black")}),
    Category("hut", hut, {"body": PartStyle("white"), "roof": PartStyle("red"), "door": PartStyle("brown")}),
    Category("well", well, {"body": PartStyle("grey", "stone"), "posts": PartStyle("brown", "wooden"),
                            "roof": PartStyle("red")}),
    Category("tent", tent, {"body": PartStyle("orange"), "door": PartStyle("black"), "flag": PartStyle("red")}),
    Category("snowman", snowman, {"body": PartStyle("white"), "nose": PartStyle("orange"),
                                  "hat": PartStyle("black")}),
    Category("traffic cone", traffic_cone, {"body": PartStyle("orange"), "stripe": PartStyle("white")}),
    Category("mailbox", mailbox, {"body": PartStyle("blue"), "post": PartStyle("brown", "wooden"),
                                  "flag": PartStyle("red")}),
    Category("campfire", campfire, {"body": PartStyle("brown", "wooden"), "stones": PartStyle("grey", "stone"),
                                    "flames": PartStyle("orange")}),
    Category("signpost", signpost, {"body": PartStyle("brown", "wooden"), "post": PartStyle("brown", "wooden")}),
]}

PART_NAMES = sorted({p for c in CATEGORIES.values() for p in c.named_parts})
