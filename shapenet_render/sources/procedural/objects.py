"""Household-object families: lamp, loudspeaker, display, telephone, cellphone, guitar, faucet,
clock, flowerpot, jar.

Same contract as :mod:`.furniture`: ``builder(rng) -> (solid, variant)``, world frame +Y up, the
object's front (screen, speaker cones, clock face, spout) towards -Z, resting on y = 0 unless it
hangs or is wall-mounted.
"""

from __future__ import annotations

import math

import manifold3d as m3d
import numpy as np

from ._parts import (
    SEG,
    SEG_THIN,
    CrossSection,
    Manifold,
    bevel_box,
    box,
    capsule,
    cyl_x,
    cyl_y,
    cyl_z,
    polyline_tube,
    prism,
    revolve_y,
    rod,
    rounded_rect,
    shell_profile,
    sphere,
    subtract,
    superellipse,
    union,
)
from .furniture import Variant, _pick, outline_extrude

# --------------------------------------------------------------------------------------------
# lamp
# --------------------------------------------------------------------------------------------


def _shade(kind: str, y: float, r_bot: float, r_top: float, h: float, wall: float) -> Manifold:
    """A lamp shade hanging from ``y`` (its top) down to ``y - h``; cone and drum shades are open
    tubes, a dome is a bowl open at the bottom, a globe is solid."""
    if kind == "globe":
        return sphere((0, y - h / 2, 0), h / 2, SEG)
    if kind == "dome":
        k = np.linspace(0.0, math.pi / 2, 7)
        # outer runs from the apex (r = 0, y) down to the rim (r_bot, y - h).
        outer = [(r_bot * math.sin(a), y - h + h * math.cos(a)) for a in k]
        inner = [(max(r - wall, 0.0), yy - wall) for r, yy in outer[::-1]]
        profile = [(0.0, y), *outer[1:], *inner[:-1], (0.0, y - wall)]
        return revolve_y(profile, SEG)
    profile = [(r_top, y), (r_bot, y - h), (r_bot - wall, y - h), (r_top - wall, y)]
    return revolve_y(profile, SEG)


def lamp(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A lamp: base, stem and shade.

    Kinds: table lamp (disc/box/bulb base, short stem), floor lamp (tall stem, disc or tripod
    base), desk lamp (articulated two-segment arm, cone head), pendant (ceiling canopy, cord,
    shade). Shades: cone, drum, dome, globe.
    """
    kind = _pick(rng, {"table": 0.35, "floor": 0.25, "desk": 0.22, "pendant": 0.18})
    shade = _pick(rng, {"cone": 0.4, "drum": 0.25, "dome": 0.2, "globe": 0.15})
    variant = {"kind": kind, "shade": shade}
    parts: list[Manifold] = []
    if kind == "desk":
        br = rng.uniform(0.07, 0.11)
        parts.append(cyl_y(0, 0, 0, rng.uniform(0.02, 0.04), br, br * 0.9))
        a1, a2 = math.radians(rng.uniform(60, 85)), math.radians(rng.uniform(-30, 20))
        l1, l2 = rng.uniform(0.3, 0.45), rng.uniform(0.3, 0.45)
        p0 = np.array([0.0, 0.03, 0.05])
        p1 = p0 + l1 * np.array([0.0, math.sin(a1), -math.cos(a1)])
        p2 = p1 + l2 * np.array([0.0, math.sin(a2), -math.cos(a2)])
        parts.append(polyline_tube([p0, p1, p2], 0.012))
        hr = rng.uniform(0.05, 0.09)
        head = revolve_y(
            [
                (hr * 0.3, 0.1),
                (hr, 0.0),
                (hr - 0.008, 0.0),
                (hr * 0.3 - 0.008, 0.09),
                (0.0, 0.09),
                (0.0, 0.1),
            ],
            16,
        )
        tilt = rng.uniform(10, 50)
        parts.append(head.rotate((-tilt, 0, 0)).translate(tuple(p2 - [0, 0.09, 0])))
        return union(parts), variant
    if kind == "pendant":
        top = rng.uniform(0.8, 1.4)
        parts.append(cyl_y(0, 0, top - 0.03, top, 0.06, seg=16))
        h = rng.uniform(0.15, 0.35)
        r = rng.uniform(0.12, 0.3)
        y_shade = top - rng.uniform(0.3, 0.7)
        parts.append(cyl_y(0, 0, y_shade - 0.02, top, 0.012, seg=8))
        parts.append(
            _shade(
                shade,
                y_shade,
                r,
                r * rng.uniform(0.3, 0.6) if shade == "cone" else r,
                h if shade != "globe" else 2 * r * 0.8,
                0.016,
            )
        )
        if shade in ("cone", "drum"):
            parts.append(cyl_y(0, 0, y_shade - 0.06, y_shade + 0.01, 0.03, seg=12))
            for i in range(3):
                a = 2 * math.pi * i / 3
                rt = r * (0.45 if shade == "cone" else 1.0) - 0.006
                parts.append(
                    rod(
                        (0, y_shade - 0.01, 0),
                        (rt * math.cos(a), y_shade - 0.01, rt * math.sin(a)),
                        0.004,
                        6,
                    )
                )
        return union(parts), variant
    floor = kind == "floor"
    height = rng.uniform(1.3, 1.8) if floor else rng.uniform(0.35, 0.65)
    base = (
        _pick(rng, {"disc": 0.5, "box": 0.2, "tripod": 0.3})
        if floor
        else _pick(rng, {"disc": 0.35, "box": 0.2, "bulb": 0.45})
    )
    variant["base"] = base
    r_b = rng.uniform(0.14, 0.22) if floor else rng.uniform(0.06, 0.12)
    # Stems stay >= ~1/70 of the lamp height thick so they survive 64^3 voxelization.
    stem_r = rng.uniform(0.015, 0.025) if floor else rng.uniform(0.008, 0.02)
    sh_h = rng.uniform(0.15, 0.32) if floor else rng.uniform(0.12, 0.25)
    sh_r = rng.uniform(0.12, 0.25) if floor else rng.uniform(0.1, 0.2)
    y_top = height
    stem_top = y_top - sh_h * 0.6
    if base == "tripod":
        spread = rng.uniform(0.2, 0.35)
        hub = height * rng.uniform(0.45, 0.6)
        for i in range(3):
            a = 2 * math.pi * i / 3 + math.pi / 2
            parts.append(
                rod(
                    (spread * math.cos(a), 0, spread * math.sin(a)),
                    (0, hub, 0),
                    0.012,
                    8,
                    extend=0.01,
                )
            )
        parts.append(cyl_y(0, 0, hub - 0.02, stem_top, stem_r, seg=8))
    else:
        if base == "disc":
            bh = rng.uniform(0.02, 0.05)
            parts.append(cyl_y(0, 0, 0, bh, r_b, r_b * 0.85))
        elif base == "box":
            bh = rng.uniform(0.03, 0.1)
            parts.append(box((-r_b, 0, -r_b), (r_b, bh, r_b)))
        else:  # bulb: a vase-like body
            bh = height * rng.uniform(0.35, 0.6)
            prof = [
                (0.0, 0.0),
                (r_b * 0.6, 0.0),
                (r_b, bh * 0.4),
                (r_b * 0.8, bh * 0.8),
                (r_b * 0.25, bh),
                (0.0, bh),
            ]
            parts.append(revolve_y(prof, SEG))
        parts.append(cyl_y(0, 0, bh - 0.01, stem_top, stem_r, seg=8))
    r_top = sh_r * rng.uniform(0.45, 0.75) if shade == "cone" else sh_r
    parts.append(
        _shade(
            shade,
            y_top,
            sh_r,
            r_top,
            sh_h if shade != "globe" else sh_r * 1.6,
            max(0.01, 0.012 * height),
        )
    )
    if shade in ("cone", "drum", "dome"):
        # A harp: spokes from the stem top to the shade's top edge hold the shade.
        rt = (r_top if shade != "dome" else sh_r * 0.5) - 0.005
        ys = y_top - (0.005 if shade != "dome" else sh_h * 0.15)
        parts.append(sphere((0, stem_top, 0), 0.03, SEG_THIN))
        for i in range(3):
            a = 2 * math.pi * i / 3
            parts.append(rod((0, stem_top, 0), (rt * math.cos(a), ys, rt * math.sin(a)), 0.004, 6))
    else:
        parts.append(cyl_y(0, 0, stem_top - 0.01, y_top - sh_r * 1.2, stem_r, seg=8))
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# loudspeaker
# --------------------------------------------------------------------------------------------


def _driver(x: float, y: float, z_face: float, r: float, depth: float) -> tuple[Manifold, Manifold]:
    """A speaker cone on a front face at ``z_face`` (facing -Z): (cutter, dust cap)."""
    cone = cyl_z(x, y, z_face - 0.01, z_face + depth, r, r * 0.35, seg=SEG)
    cap = sphere((x, y, z_face + depth), r * 0.3, 12)
    return cone, cap


def loudspeaker(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A loudspeaker: an enclosure with cone recesses on its front (-Z) face.

    Kinds: bookshelf (2 drivers), tower (2-4 drivers, on feet or a plinth), subwoofer (cube, one
    large cone), cylindrical smart speaker (drivers around a column, top disc), PA wedge
    (trapezoid box with a horn).
    """
    kind = _pick(
        rng, {"bookshelf": 0.3, "tower": 0.25, "subwoofer": 0.15, "cylinder": 0.12, "pa": 0.18}
    )
    variant = {"kind": kind}
    parts: list[Manifold] = []
    cutters: list[Manifold] = []
    caps: list[Manifold] = []
    if kind == "cylinder":
        r = rng.uniform(0.05, 0.09)
        h = r * rng.uniform(1.4, 3.0)
        parts.append(cyl_y(0, 0, 0, h, r, r * rng.uniform(0.85, 1.0), seg=SEG))
        parts.append(cyl_y(0, 0, h - 0.005, h + 0.01, r * 0.85, seg=SEG))
        # A grille band: shallow rings cut around the column.
        for i in range(int(rng.integers(2, 5))):
            y = h * (0.2 + 0.15 * i)
            cutters.append(
                subtract(
                    cyl_y(0, 0, y, y + 0.008, r * 1.2, seg=SEG),
                    [cyl_y(0, 0, y - 0.1, y + 0.1, r - 0.006, seg=SEG)],
                )
            )
        return subtract(union(parts), cutters), variant
    W, H, D = {
        "bookshelf": ((0.16, 0.25), (0.25, 0.4), (0.18, 0.3)),
        "tower": ((0.18, 0.28), (0.8, 1.15), (0.22, 0.35)),
        "subwoofer": ((0.3, 0.45), (0.3, 0.45), (0.3, 0.45)),
        "pa": ((0.35, 0.5), (0.55, 0.75), (0.3, 0.45)),
    }[kind]
    W, H, D = rng.uniform(*W), rng.uniform(*H), rng.uniform(*D)
    feet = rng.uniform(0.02, 0.06) if kind == "tower" and rng.random() < 0.6 else 0.0
    y0 = feet
    front = -D / 2
    if kind == "pa":
        # Trapezoidal in plan: the back is narrower than the front.
        plan = np.array([[-W / 2, front], [W / 2, front], [W * 0.3, D / 2], [-W * 0.3, D / 2]])
        parts.append(prism(plan, "xz", 0.0, H))
    else:
        parts.append(bevel_box((-W / 2, y0, front), (W / 2, H, D / 2), rng.uniform(0.0, 0.02)))
    if feet:
        for sx in (-1, 1):
            for sz in (-1, 1):
                parts.append(
                    cyl_y(
                        sx * (W / 2 - 0.03), sz * (D / 2 - 0.03), 0, y0 + 0.01, 0.012, 0.004, seg=8
                    )
                )
    if kind == "subwoofer":
        r = min(W, H) * rng.uniform(0.3, 0.42)
        cone, cap = _driver(0, H / 2, front, r, D * 0.35)
        cutters.append(cone)
        caps.append(cap)
        variant["drivers"] = "1"
    elif kind == "pa":
        r = W * rng.uniform(0.3, 0.4)
        cone, cap = _driver(0, H * 0.35, front, r, D * 0.3)
        cutters.append(cone)
        caps.append(cap)
        hw, hh = W * 0.35, H * 0.12
        horn = Manifold.batch_hull(
            [
                box((-hw, H * 0.78 - hh, front - 0.01), (hw, H * 0.78 + hh, front)),
                box(
                    (-0.02, H * 0.78 - 0.02, front + D * 0.3),
                    (0.02, H * 0.78 + 0.02, front + D * 0.31),
                ),
            ]
        )
        cutters.append(horn)
        variant["drivers"] = "cone+horn"
    else:
        n_woof = 1 if kind == "bookshelf" else int(rng.integers(1, 4))
        r_w = W * rng.uniform(0.3, 0.42)
        r_t = r_w * rng.uniform(0.3, 0.45)
        ys = [H - 0.03 - r_t - 0.03]
        y = ys[0] - r_t - 0.03
        for _ in range(n_woof):
            y -= r_w
            ys.append(y)
            y -= r_w + 0.02
        scale = min(1.0, (H - y0 - 0.04) / max(H - y - 0.02, 1e-3))
        for i, yy in enumerate(ys):
            yy = H - (H - yy) * scale
            r = (r_t if i == 0 else r_w) * scale
            cone, cap = _driver(0, yy, front, r, min(D * 0.25, r * 0.8))
            cutters.append(cone)
            caps.append(cap)
        variant["drivers"] = str(len(ys))
        if rng.random() < 0.5:  # bass-reflex port
            cutters.append(cyl_z(0, y0 + 0.05, front - 0.01, front + D * 0.4, 0.02, seg=12))
            variant["port"] = "yes"
    return union([subtract(union(parts), cutters), *caps]), variant


# --------------------------------------------------------------------------------------------
# display
# --------------------------------------------------------------------------------------------


def display(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A display (monitor): a thin panel, screen facing -Z, on a stand.

    Stands: neck and foot plate, V-legs, or none (wall/all-in-one panel). Also CRT monitors
    (deep tapering back) and curved panels.
    """
    kind = _pick(rng, {"flat": 0.6, "curved": 0.15, "crt": 0.25})
    stand = _pick(rng, {"neck": 0.6, "legs": 0.2, "none": 0.2})
    variant = {"kind": kind, "stand": stand}
    aspect = {
        "flat": rng.choice([16 / 9, 16 / 10, 21 / 9]),
        "curved": rng.choice([16 / 9, 21 / 9]),
        "crt": 4 / 3,
    }[kind]
    W = rng.uniform(0.45, 0.8) if kind != "crt" else rng.uniform(0.35, 0.45)
    H = W / aspect
    T = rng.uniform(0.015, 0.05)
    bezel = rng.uniform(0.008, 0.04)
    lift = rng.uniform(0.08, 0.2) if stand != "none" else 0.0
    foot_h = 0.02
    parts: list[Manifold] = []
    yc = lift + H / 2
    panel = box((-W / 2, lift, -T / 2), (W / 2, lift + H, T / 2))
    screen = box(
        (-W / 2 + bezel, lift + bezel, -T / 2 - 0.01),
        (W / 2 - bezel, lift + H - bezel, -T / 2 + 0.006),
    )
    panel = subtract(panel, [screen])
    parts.append(panel)
    if kind == "crt":
        depth = W * rng.uniform(0.8, 1.1)
        back = Manifold.batch_hull(
            [
                box((-W / 2 + 0.01, lift + 0.01, 0), (W / 2 - 0.01, lift + H - 0.01, 0.01)),
                box((-W * 0.25, yc - H * 0.25, depth - 0.01), (W * 0.25, yc + H * 0.25, depth)),
            ]
        )
        parts.append(back)
    elif rng.random() < 0.6:  # an electronics bulge on the back
        parts.append(
            box(
                (-W * 0.3, yc - H * 0.3, 0),
                (W * 0.3, yc + H * 0.25, T / 2 + rng.uniform(0.01, 0.04)),
            )
        )
    if stand == "neck":
        foot = _pick(rng, {"rect": 0.4, "disc": 0.3, "oval": 0.3})
        fd = rng.uniform(0.15, 0.25)
        nz = T / 2 + 0.02 + (0.1 if kind == "crt" else 0.0)
        neck_w = rng.uniform(0.03, 0.08)
        parts.append(box((-neck_w / 2, 0, nz - 0.015), (neck_w / 2, yc, nz + 0.015)))
        if foot == "rect":
            fw = rng.uniform(0.15, 0.3)
            parts.append(box((-fw / 2, 0, nz - fd / 2), (fw / 2, foot_h, nz + fd / 2)))
        else:
            ax = fd / 2 if foot == "disc" else rng.uniform(0.1, 0.18)
            parts.append(prism(superellipse(ax, fd / 2, 2.0, 24) + [0, nz], "xz", 0, foot_h))
        variant["foot"] = foot
    elif stand == "legs":
        for s in (-1, 1):
            x = s * W * rng.uniform(0.3, 0.42)
            parts.append(rod((x, 0.0, -0.08), (x, lift + 0.03, 0.0), 0.01, 6, square=True))
            parts.append(rod((x, 0.0, 0.08), (x, lift + 0.03, 0.0), 0.01, 6, square=True))
    solid = union(parts)
    if kind == "curved":
        k = rng.uniform(0.15, 0.4) / W

        def bend(v: np.ndarray) -> np.ndarray:
            v[:, 2] += k * v[:, 0] ** 2 * (v[:, 1] > lift - 1e-6)
            return v

        solid = solid.refine(2).warp_batch(bend)
    return solid, variant


# --------------------------------------------------------------------------------------------
# telephone
# --------------------------------------------------------------------------------------------


def _handset(length: float, r: float) -> Manifold:
    """A telephone handset along X: two ear/mouth cups joined by a bar, cups facing down."""
    bar = capsule((-length / 2 + r, r * 1.6, 0), (length / 2 - r, r * 1.6, 0), r * 0.6, 10)
    cups = [cyl_y(s * (length / 2 - r), 0, 0, r * 1.7, r, r * 0.8, seg=14) for s in (-1, 1)]
    return union([bar, *cups])


def telephone(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A landline telephone, keypad facing the user (-Z).

    Kinds: desk phone (sloped base, key grid, handset on a cradle to one side), rotary phone
    (domed body, dial disc, handset across the top), cordless (small base, handset standing in
    it), conference phone (flat three-lobed unit).
    """
    kind = _pick(rng, {"desk": 0.4, "rotary": 0.2, "cordless": 0.2, "conference": 0.2})
    variant = {"kind": kind}
    parts: list[Manifold] = []
    cutters: list[Manifold] = []
    if kind == "conference":
        r = rng.uniform(0.12, 0.17)
        lobe_r = r * rng.uniform(0.3, 0.45)
        # Three lobes around a central hub; one lobe points at the user (-Z).
        angles = [-math.pi / 2, math.pi / 6, 5 * math.pi / 6]
        lobes = [
            cyl_y(r * math.cos(a), r * math.sin(a), 0, 0.03, lobe_r, lobe_r * 0.8, seg=16)
            for a in angles
        ]
        bridges = [
            rod(
                (0, 0.015, 0),
                (r * math.cos(a), 0.015, r * math.sin(a)),
                lobe_r * 0.7,
                12,
                square=True,
            )
            for a in angles
        ]
        parts.append(union([cyl_y(0, 0, 0, 0.045, r * 0.55, r * 0.45, seg=SEG), *lobes, *bridges]))
        cutters.append(cyl_y(0, 0, 0.03, 0.06, r * 0.3, seg=SEG))
        parts.append(box((-0.05, 0.0, -r * 0.5 - 0.03), (0.05, 0.045, -r * 0.3)))
        return subtract(union(parts), cutters), variant
    W = rng.uniform(0.18, 0.26)
    D = rng.uniform(0.16, 0.24)
    h_front, h_back = rng.uniform(0.03, 0.05), rng.uniform(0.06, 0.1)
    if kind == "cordless":
        W, D = W * 0.6, D * 0.6
    wedge = np.array([[-D / 2, 0.0], [D / 2, 0.0], [D / 2, h_back], [-D / 2, h_front]])
    body = prism(wedge, "zy", -W / 2, W / 2)
    if kind == "rotary":
        body = Manifold.batch_hull([body, cyl_y(0, 0, 0, h_back * 1.6, W * 0.3, seg=16)])
    parts.append(body)
    slope = math.degrees(math.atan2(h_back - h_front, D))
    if kind == "rotary":
        dial = cyl_z(0, 0, -0.01, 0.012, W * 0.22, seg=SEG)
        holes = [
            cyl_z(W * 0.16 * math.cos(a), W * 0.16 * math.sin(a), -0.02, 0.02, 0.012, seg=8)
            for a in np.linspace(0.3, 2 * math.pi - 0.6, 10)
        ]
        dial = subtract(dial, holes)
        parts.append(
            dial.rotate((90 - slope, 0, 0)).translate(
                (0, (h_front + h_back) / 2 + 0.005, -D * 0.05)
            )
        )
        parts.append(_handset(W * 1.1, 0.03).translate((0, h_back * 1.6, 0)))
        for s in (-1, 1):
            parts.append(
                box(
                    (s * W * 0.4 - 0.015, h_back, -0.02),
                    (s * W * 0.4 + 0.015, h_back * 1.6 + 0.02, 0.02),
                )
            )
        return union(parts), variant
    # Keypad: a grid of key caps on the sloped top.
    rows, cols = 4, 3
    key = rng.uniform(0.012, 0.02)
    kx0 = W * (0.15 if kind == "desk" else -0.2)
    keys = []
    for i in range(rows):
        for j in range(cols):
            x = kx0 + (j - 1) * key * 1.6
            z = -D / 2 + D * 0.25 + i * key * 1.5
            y = h_front + (h_back - h_front) * (z + D / 2) / D
            keys.append(
                box((x - key / 2, y - 0.01, z - key / 2), (x + key / 2, y + 0.006, z + key / 2))
            )
    if kind == "desk":
        parts += keys
        # Cradle and handset lying along Z on the left of the keypad.
        hx = -W / 2 + 0.05
        parts.append(
            box((hx - 0.04, h_front, -D / 2 + 0.02), (hx + 0.04, h_back + 0.01, D / 2 - 0.02))
        )
        hs = _handset(D * 1.05, 0.025).rotate((0, 90, 0)).translate((hx, h_back + 0.005, 0))
        parts.append(hs)
        if rng.random() < 0.5:  # a small display above the keys
            parts.append(
                box(
                    (kx0 - 0.03, h_back - 0.01, D / 2 - 0.06),
                    (kx0 + 0.03, h_back + 0.015, D / 2 - 0.02),
                )
            )
            variant["screen"] = "yes"
    else:
        hl = rng.uniform(0.14, 0.18)
        hw = rng.uniform(0.04, 0.05)
        stand = bevel_box((-hw / 2, h_back - 0.02, -0.015), (hw / 2, h_back + hl, 0.015), 0.008)
        parts.append(stand.rotate((rng.uniform(5, 20), 0, 0)).translate((0, 0, D * 0.1)))
        parts.append(cyl_z(0, h_back + hl * 0.6, D * 0.1 - 0.03, D * 0.1 - 0.01, 0.005, seg=6))
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# cellphone
# --------------------------------------------------------------------------------------------


def _slab(w: float, h: float, t: float, r: float) -> Manifold:
    """A rounded-corner slab standing up: ``w`` along X, ``h`` along Y from 0, ``t`` along Z
    centred on z = 0."""
    return prism(rounded_rect(w, h, r, 24).translate((0.0, h / 2)), "xy", -t / 2, t / 2)


def cellphone(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A mobile phone standing upright, screen towards -Z.

    Kinds: smartphone (thin slab, screen inset nearly edge to edge, camera bump), candybar
    (thicker, small screen over a key grid, antenna stub), flip phone (open: two halves at an
    angle), slider (two stacked slabs, one pushed up).
    """
    kind = _pick(rng, {"smart": 0.5, "candybar": 0.2, "flip": 0.15, "slider": 0.15})
    variant = {"kind": kind}
    parts: list[Manifold] = []
    cutters: list[Manifold] = []
    if kind == "smart":
        w, h = rng.uniform(0.065, 0.08), rng.uniform(0.13, 0.17)
        t = rng.uniform(0.007, 0.011)
        parts.append(_slab(w, h, t, rng.uniform(0.004, 0.012)))
        b = rng.uniform(0.002, 0.006)
        top = rng.uniform(0.004, 0.018)
        cutters.append(
            box((-w / 2 + b, b + top * 0.5, -t / 2 - 0.01), (w / 2 - b, h - top, -t / 2 + 0.0015))
        )
        bump = _pick(rng, {"square": 0.5, "round": 0.2, "strip": 0.3})
        bx = rng.uniform(-w / 4, 0)
        if bump == "round":
            parts.append(cyl_z(bx, h - 0.02, 0, t / 2 + 0.002, 0.008, seg=16))
        elif bump == "square":
            parts.append(box((bx - 0.012, h - 0.04, 0), (bx + 0.012, h - 0.008, t / 2 + 0.0015)))
        else:
            parts.append(
                box((-w / 2 + 0.005, h - 0.025, 0), (w / 2 - 0.005, h - 0.01, t / 2 + 0.0015))
            )
        variant["camera"] = bump
        return subtract(union(parts), cutters), variant
    if kind in ("candybar", "slider"):
        w, h = rng.uniform(0.045, 0.055), rng.uniform(0.1, 0.125)
        t = rng.uniform(0.013, 0.02) if kind == "candybar" else rng.uniform(0.008, 0.01)
        parts.append(_slab(w, h, t, rng.uniform(0.004, 0.015)))
        sy0 = h * 0.52
        cutters.append(
            box((-w / 2 + 0.006, sy0, -t / 2 - 0.01), (w / 2 - 0.006, h - 0.012, -t / 2 + 0.0015))
        )
        if kind == "candybar":
            key = 0.008
            for i in range(4):
                for j in range(3):
                    x, y = (j - 1) * key * 1.5, sy0 - 0.012 - i * key * 1.35
                    parts.append(
                        box(
                            (x - key / 2, y - key * 0.4, -t / 2 - 0.0015),
                            (x + key / 2, y + key * 0.4, 0),
                        )
                    )
            if rng.random() < 0.5:
                parts.append(cyl_y(w / 2 - 0.01, 0.0, h - 0.01, h + 0.02, 0.004, seg=8))
                variant["antenna"] = "yes"
        else:
            # The keypad half slides out below the screen half.
            # Slightly narrower and clearly overlapping: flush or tangent faces leave slivers.
            lower = _slab(w * 0.96, h, t, 0.008).translate((0, -h * 0.4, t * 0.8))
            parts.append(lower)
        return subtract(union(parts), cutters), variant
    # flip: two halves hinged at the bottom half's top edge, opened to an angle.
    w, h = rng.uniform(0.045, 0.055), rng.uniform(0.085, 0.1)
    t = rng.uniform(0.009, 0.013)
    lower = _slab(w, h, t, 0.008)
    upper = subtract(
        _slab(w, h * rng.uniform(0.85, 1.0), t * 0.8, 0.008),
        [box((-w / 2 + 0.005, 0.01, -t), (w / 2 - 0.005, h * 0.8, -t * 0.4 + 0.0015))],
    )
    angle = rng.uniform(10, 35)  # how far past straight the upper half leans back
    parts.append(lower)
    parts.append(upper.rotate((angle, 0, 0)).translate((0, h - 0.004, 0)))
    parts.append(cyl_x(h, 0, -w / 2, w / 2, t * 0.55, 12))
    variant["open_angle"] = f"{180 - angle:.0f}"
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# guitar
# --------------------------------------------------------------------------------------------


def _guitar_outline(kind: str, rng: np.random.Generator, scale: float) -> CrossSection:
    """Body outline in (x, y), the bottom of the body at y = 0, the neck joining at the top."""
    if kind in ("acoustic", "classical"):
        r1 = rng.uniform(0.18, 0.21) * scale
        r2 = r1 * rng.uniform(0.7, 0.82)
        c1, c2 = r1, r1 * 2 + r2 * 0.35
        lower = CrossSection.circle(r1, SEG).translate((0, c1))
        upper = CrossSection.circle(r2, SEG).translate((0, c2))
        waist = CrossSection.square((r2 * 1.1, c2 - c1), True).translate((0, (c1 + c2) / 2))
        return CrossSection.batch_boolean([lower, upper, waist], m3d.OpType.Add)
    # Electric / bass: a solid body with two horns (cutaways) at the top.
    rw = rng.uniform(0.16, 0.2) * scale
    lower = CrossSection.circle(1.0, SEG).scale((rw, rw * 0.85)).translate((0, rw * 0.85))
    mid = CrossSection.square((rw * 1.5, rw * 0.9), True).translate((0, rw * 1.4))
    horns = [
        CrossSection.circle(rw * 0.28, 16).translate((s * rw * 0.45, rw * (1.9 + 0.25 * (s > 0))))
        for s in (-1, 1)
    ]
    horn_stems = [
        CrossSection.square((rw * 0.5, rw * 0.8), True).translate((s * rw * 0.45, rw * 1.55))
        for s in (-1, 1)
    ]
    body = CrossSection.batch_boolean([lower, mid, *horns, *horn_stems], m3d.OpType.Add)
    notch = CrossSection.circle(rw * 0.25, 16).translate((0, rw * 2.1))
    return CrossSection.batch_boolean([body, notch], m3d.OpType.Subtract)


def guitar(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A guitar standing upright (neck along +Y), strings facing -Z.

    Kinds: acoustic (deep hollow body with a sound hole into the cavity), classical (smaller
    body, slotted head), electric (thin solid body with two horns, pickups), bass (electric body,
    longer neck, four pegs).
    """
    kind = _pick(rng, {"acoustic": 0.35, "classical": 0.2, "electric": 0.3, "bass": 0.15})
    variant = {"kind": kind}
    scale = rng.uniform(0.9, 1.1) * (0.9 if kind == "classical" else 1.0)
    outline = _guitar_outline(kind, rng, scale)
    lo, hi = outline.bounds()[1], outline.bounds()[3]
    hollow = kind in ("acoustic", "classical")
    t = rng.uniform(0.08, 0.12) if hollow else rng.uniform(0.035, 0.05)
    body = prism(outline, "xy", -t / 2, t / 2)
    parts: list[Manifold] = []
    cutters: list[Manifold] = []
    if hollow:
        # Plates ~2 % of the guitar's length: thinner ones vanish at 64^3.
        plate = 0.018
        cutters.append(
            prism(
                outline.offset(-plate, m3d.JoinType.Round, 2.0, 16),
                "xy",
                -t / 2 + plate,
                t / 2 - plate,
            )
        )
        hr = rng.uniform(0.04, 0.055) * scale
        hy = hi - (hi - lo) * rng.uniform(0.3, 0.38)
        cutters.append(cyl_z(0, hy, -t, 0, hr, seg=SEG))
        parts.append(
            box(
                (-0.06, (hi - lo) * 0.18, -t / 2 - 0.008),
                (0.06, (hi - lo) * 0.18 + 0.02, -t / 2 + 0.002),
            )
        )
    else:
        n_pick = int(rng.integers(1, 4))
        for i in range(n_pick):
            y = (hi - lo) * (0.3 + 0.13 * i)
            parts.append(box((-0.04, y, -t / 2 - 0.008), (0.04, y + 0.02, -t / 2 + 0.002)))
        variant["pickups"] = str(n_pick)
        parts.append(
            box(
                (-0.04, (hi - lo) * 0.15, -t / 2 - 0.008),
                (0.04, (hi - lo) * 0.15 + 0.03, -t / 2 + 0.002),
            )
        )
    parts.append(subtract(body, cutters))
    neck_l = rng.uniform(0.42, 0.5) * (1.35 if kind == "bass" else 1.0)
    nw = rng.uniform(0.045, 0.06)
    nz = -t / 2 + 0.012  # the fretboard stands slightly proud of the top
    y_join = hi - 0.04 if hollow else hi - (hi - lo) * 0.25
    parts.append(box((-nw / 2, y_join, nz - 0.022), (nw / 2, hi + neck_l, nz + 0.01)))
    # Head: angled back (classical/acoustic) or straight (electric); pegs on the sides.
    head_l = rng.uniform(0.16, 0.2)
    head_w = nw * rng.uniform(1.2, 1.7)
    head = [box((-head_w / 2, 0, -0.008), (head_w / 2, head_l, 0.008))]
    if kind == "classical":
        head = [
            subtract(
                head[0],
                [
                    box(
                        (s * head_w * 0.25 - 0.006, 0.03, -0.02),
                        (s * head_w * 0.25 + 0.006, head_l - 0.02, 0.02),
                    )
                    for s in (-1, 1)
                ],
            )
        ]
    n_peg = 4 if kind == "bass" else 6
    per_side = n_peg // 2
    if kind == "electric" and rng.random() < 0.5:  # all pegs on one side
        for i in range(n_peg):
            head.append(
                cyl_x(
                    0.025 + i * (head_l - 0.04) / n_peg,
                    0,
                    head_w / 2 - 0.01,
                    head_w / 2 + 0.03,
                    0.006,
                    8,
                )
            )
        variant["head"] = "6-in-line"
    else:
        for i in range(per_side):
            y = 0.03 + i * (head_l - 0.05) / max(per_side - 1, 1)
            for s in (-1, 1):
                x0, x1 = sorted((s * (head_w / 2 - 0.01), s * (head_w / 2 + 0.03)))
                head.append(cyl_x(y, 0, x0, x1, 0.006, 8))
    tilt = 12.0 if hollow else 0.0
    parts.append(union(head).rotate((tilt, 0, 0)).translate((0, hi + neck_l - 0.01, nz - 0.006)))
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# faucet
# --------------------------------------------------------------------------------------------


def faucet(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A tap; the spout points towards -Z (the user), the back is +Z.

    Kinds: gooseneck (tall riser arcing over), straight (column with a horizontal spout),
    waterfall (box body with a flat blade spout), wall-mounted (back plate, horizontal spout),
    bridge (two valves joined by a bar with a central spout). Handles: single lever on top, side
    lever, two cross or knob handles.
    """
    kind = _pick(
        rng, {"gooseneck": 0.3, "straight": 0.25, "waterfall": 0.15, "wall": 0.15, "bridge": 0.15}
    )
    handles = _pick(rng, {"lever": 0.45, "side": 0.2, "two": 0.35})
    if kind == "bridge":
        handles = "two"
    variant = {"kind": kind, "handles": handles}
    r = rng.uniform(0.016, 0.028)
    parts: list[Manifold] = []
    if kind == "wall":
        pw, ph = rng.uniform(0.08, 0.2), rng.uniform(0.06, 0.12)
        yc = 0.1
        parts.append(box((-pw / 2, yc - ph / 2, 0.0), (pw / 2, yc + ph / 2, 0.015)))
        reach = rng.uniform(0.15, 0.25)
        parts.append(cyl_z(0, yc - 0.01, -reach, 0.005, r * 0.8, seg=16))
        parts.append(cyl_y(0, -reach + 0.015, yc - 0.01 - 0.04, yc - 0.01, r * 0.8, seg=16))
        if handles == "two":
            for s in (-1, 1):
                parts.append(cyl_z(s * pw * 0.35, yc, -0.05, 0.0, 0.018, seg=12))
                parts.append(
                    box(
                        (s * pw * 0.35 - 0.03, yc - 0.006, -0.06),
                        (s * pw * 0.35 + 0.03, yc + 0.006, -0.045),
                    )
                )
            return union(parts), variant
        parts.append(cyl_z(0, yc + 0.04, -0.03, 0.0, 0.015, seg=12))
        parts.append(box((-0.008, yc + 0.035, -0.1), (0.008, yc + 0.05, -0.02)))
        return union(parts), variant
    # Deck-mounted: a base plate or escutcheon.
    plate = _pick(rng, {"round": 0.5, "rect": 0.3, "none": 0.2})
    if plate == "round":
        parts.append(cyl_y(0, 0, 0, 0.01, r * rng.uniform(1.6, 2.4), seg=16))
    elif plate == "rect":
        parts.append(
            box(
                (-0.1 if handles == "two" else -0.04, 0, -0.03),
                (0.1 if handles == "two" else 0.04, 0.012, 0.04),
            )
        )
    h = rng.uniform(0.12, 0.3)
    if kind == "gooseneck":
        reach = rng.uniform(0.12, 0.2)
        rise = h + rng.uniform(0.05, 0.12)
        pts = [(0, 0, 0), (0, h, 0)]
        # A half-turn arc from the riser's top forward to the outlet, bulging up to ``rise``.
        for a in np.linspace(0, math.pi, 7)[1:]:
            pts.append((0, h + (rise - h) * math.sin(a), -reach / 2 + reach / 2 * math.cos(a)))
        pts.append((0, pts[-1][1] - rng.uniform(0.02, 0.06), -reach))
        parts.append(polyline_tube(pts, r * 0.7, 12))
    elif kind in ("straight", "bridge"):
        reach = rng.uniform(0.12, 0.22)
        parts.append(cyl_y(0, 0, 0, h, r, r * rng.uniform(0.8, 1.0), seg=16))
        sy = h - rng.uniform(0.02, 0.05)
        slope = rng.uniform(-0.03, 0.02)
        parts.append(rod((0, sy, 0), (0, sy + slope, -reach), r * 0.6, 12, extend=r * 0.5))
        parts.append(cyl_y(0, -reach, sy + slope - 0.02, sy + slope + 0.005, r * 0.65, seg=12))
    else:  # waterfall
        bw = rng.uniform(0.04, 0.07)
        parts.append(box((-bw / 2, 0, -0.02), (bw / 2, h, 0.03)))
        reach = rng.uniform(0.1, 0.16)
        parts.append(box((-bw * 0.45, h - 0.03, -reach), (bw * 0.45, h - 0.015, -0.015)))
    if handles == "lever":
        top = h if kind != "gooseneck" else h * 0.45
        col = cyl_y(0, 0.04 if kind == "gooseneck" else 0, top - 0.005, top + 0.03, r * 0.9, seg=12)
        if kind == "gooseneck":
            col = union([col, box((-r * 0.4, top - 0.02, 0.0), (r * 0.4, top, 0.045))])
        parts.append(col)
        lever = rod((0, 0, 0), (0, 0.03, 0.09), 0.008, 8, square=True)
        parts.append(lever.translate((0, top + 0.02, 0.04 if kind == "gooseneck" else 0.0)))
    elif handles == "side":
        hy = h * 0.6
        parts.append(cyl_x(hy, 0, r * 0.5, r + 0.03, 0.012, 12))
        parts.append(box((r + 0.02, hy - 0.006, -0.07), (r + 0.035, hy + 0.006, 0.0)))
    else:
        sep = rng.uniform(0.08, 0.12)
        cross = rng.random() < 0.5
        variant["valves"] = "cross" if cross else "knob"
        for s in (-1, 1):
            x = s * sep
            parts.append(cyl_y(x, 0, 0, 0.05, 0.02, seg=12))
            if cross:
                parts.append(box((x - 0.035, 0.045, -0.006), (x + 0.035, 0.058, 0.006)))
                parts.append(box((x - 0.006, 0.045, -0.035), (x + 0.006, 0.058, 0.035)))
            else:
                parts.append(sphere((x, 0.06, 0), 0.022, 12))
        if kind == "bridge":
            parts.append(cyl_x(0.04, 0, -sep, sep, 0.014, 12))
        else:
            parts.append(box((-sep, 0, -0.015), (sep, 0.012, 0.015)))
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# clock
# --------------------------------------------------------------------------------------------


def _clock_face(
    x: float, y: float, z_face: float, r: float, rng: np.random.Generator
) -> tuple[list[Manifold], list[Manifold]]:
    """Recessed dial, hour marks and two hands on a face at ``z_face`` facing -Z:
    (parts to add, cutters)."""
    cut = [cyl_z(x, y, z_face - 0.01, z_face + 0.006, r, seg=SEG)]
    add = []
    hands = rng.uniform(0, 2 * math.pi, 2)
    for a, length in zip(hands, (0.55 * r, 0.85 * r), strict=True):
        tip = (x + length * math.sin(a), y + length * math.cos(a), z_face - 0.003)
        add.append(rod((x, y, z_face - 0.003), tip, 0.006 * r / 0.1 + 0.002, 6, square=True))
    add.append(cyl_z(x, y, z_face - 0.008, z_face + 0.006, 0.01 * r / 0.1 + 0.004, seg=8))
    n_marks = 12 if rng.random() < 0.5 else 4
    for i in range(n_marks):
        a = 2 * math.pi * i / n_marks
        add.append(
            box(
                (x + 0.85 * r * math.sin(a) - 0.006, y + 0.85 * r * math.cos(a) - 0.006, z_face),
                (
                    x + 0.85 * r * math.sin(a) + 0.006,
                    y + 0.85 * r * math.cos(a) + 0.006,
                    z_face + 0.008,
                ),
            )
        )
    return add, cut


def clock(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A clock, face towards -Z.

    Kinds: wall clock (round or square thin body, raised rim), mantel clock (box with an arched
    top on a plinth), alarm clock (thick drum on feet with two bells), grandfather clock (tall
    case, hood with the dial, pendulum window).
    """
    kind = _pick(rng, {"wall": 0.35, "mantel": 0.25, "alarm": 0.2, "grandfather": 0.2})
    variant = {"kind": kind}
    parts: list[Manifold] = []
    cutters: list[Manifold] = []
    if kind == "wall":
        round_ = rng.random() < 0.7
        r = rng.uniform(0.12, 0.2)
        t = rng.uniform(0.03, 0.06)
        yc = r
        if round_:
            parts.append(cyl_z(0, yc, -t / 2, t / 2, r, seg=SEG + 8))
        else:
            parts.append(
                prism(
                    rounded_rect(2 * r, 2 * r, rng.uniform(0.0, r * 0.4), 16).translate((0, yc)),
                    "xy",
                    -t / 2,
                    t / 2,
                )
            )
        variant["shape"] = "round" if round_ else "square"
        add, cut = _clock_face(0, yc, -t / 2 + 0.004, r * 0.85, rng)
        return union([subtract(union(parts), cut), *add]), variant
    if kind == "alarm":
        r = rng.uniform(0.05, 0.08)
        t = rng.uniform(0.04, 0.07)
        yc = r + 0.015
        parts.append(cyl_z(0, yc, -t / 2, t / 2, r, seg=SEG))
        for s in (-1, 1):
            a = math.radians(35 * s)
            bx, by = r * 0.9 * math.sin(a), yc + r * 0.9 * math.cos(a)
            parts.append(sphere((bx, by, 0), r * 0.35, 12))
            parts.append(rod((s * r * 0.55, 0.0, 0), (s * r * 0.7, yc - r * 0.7, 0), 0.005, 6))
        parts.append(rod((-r * 0.6, yc + r * 1.2, 0), (r * 0.6, yc + r * 1.2, 0), 0.005, 6))
        for s in (-1, 1):
            parts.append(
                rod((s * r * 0.6, yc + r * 1.2, 0), (s * r * 0.5, yc + r * 0.8, 0), 0.005, 6)
            )
        add, cut = _clock_face(0, yc, -t / 2 + 0.004, r * 0.85, rng)
        return union([subtract(union(parts), cut), *add]), variant
    if kind == "mantel":
        w = rng.uniform(0.2, 0.4)
        h = w * rng.uniform(0.6, 1.1)
        d = rng.uniform(0.08, 0.14)
        arch = rng.random() < 0.6
        pts = [(-w / 2, 0.0), (w / 2, 0.0), (w / 2, h * 0.65)]
        if arch:
            pts += [
                (w / 2 * math.cos(a), h * 0.65 + (h * 0.35) * math.sin(a))
                for a in np.linspace(0.15, math.pi - 0.15, 9)
            ]
        else:
            pts += [(w / 2, h), (-w / 2, h)]
        pts.append((-w / 2, h * 0.65))
        parts.append(prism(np.array(pts), "xy", -d / 2, d / 2))
        parts.append(
            box((-w / 2 - 0.015, 0, -d / 2 - 0.015), (w / 2 + 0.015, 0.025, d / 2 + 0.015))
        )
        variant["top"] = "arched" if arch else "flat"
        add, cut = _clock_face(0, h * 0.58, -d / 2 + 0.004, min(w, h) * 0.3, rng)
        return union([subtract(union(parts), cut), *add]), variant
    # grandfather
    w = rng.uniform(0.4, 0.55)
    h = rng.uniform(1.7, 2.2)
    d = rng.uniform(0.22, 0.3)
    parts.append(box((-w / 2, 0, -d / 2), (w / 2, h * 0.12, d / 2)))
    parts.append(box((-w * 0.38, 0, -d * 0.4), (w * 0.38, h * 0.72, d * 0.4)))
    parts.append(box((-w / 2, h * 0.7, -d / 2), (w / 2, h, d / 2)))
    if rng.random() < 0.6:
        parts.append(cyl_z(0, h, -d / 2, d / 2, w / 2, seg=SEG).translate((0, -w * 0.2, 0)))
        variant["hood"] = "arched"
    cutters.append(box((-w * 0.2, h * 0.25, -d), (w * 0.2, h * 0.62, -d * 0.4 + 0.02)))
    add, cut = _clock_face(0, h * 0.86, -d / 2 + 0.004, w * 0.35, rng)
    add.append(cyl_z(0, h * 0.33, -d * 0.4 + 0.015, -d * 0.4 + 0.03, w * 0.1, seg=16))
    add.append(box((-0.008, h * 0.33, -d * 0.4 + 0.02), (0.008, h * 0.6, -d * 0.4 + 0.03)))
    return union([subtract(union(parts), cutters + cut), *add]), variant


# --------------------------------------------------------------------------------------------
# flowerpot and jar
# --------------------------------------------------------------------------------------------


def _plant(rng: np.random.Generator, y0: float, r_top: float, kind: str) -> list[Manifold]:
    """A plant rising from soil level ``y0`` in a pot with top radius ``r_top``."""
    out = []
    if kind == "bush":
        n = int(rng.integers(1, 4))
        for _ in range(n):
            rr = r_top * rng.uniform(0.6, 1.1)
            c = (
                rng.uniform(-0.3, 0.3) * r_top,
                y0 + rr * rng.uniform(0.9, 1.6),
                rng.uniform(-0.3, 0.3) * r_top,
            )
            out.append(sphere(c, rr, 14))
        out.append(cyl_y(0, 0, y0 - 0.01, y0 + r_top, r_top * 0.1, seg=8))
    elif kind == "cactus":
        hh = r_top * rng.uniform(1.5, 3.5)
        cr = r_top * rng.uniform(0.3, 0.5)
        out.append(capsule((0, y0, 0), (0, y0 + hh, 0), cr, 12))
        for s in (-1, 1):
            if rng.random() < 0.7:
                ay = y0 + hh * rng.uniform(0.35, 0.6)
                ax = s * cr * 2.2
                out.append(capsule((0, ay, 0), (ax, ay, 0), cr * 0.55, 10))
                out.append(capsule((ax, ay, 0), (ax, ay + hh * 0.35, 0), cr * 0.55, 10))
    else:  # leaves: upright blades fanning out
        n = int(rng.integers(4, 9))
        hh = r_top * rng.uniform(2.0, 4.0)
        for i in range(n):
            a = 2 * math.pi * i / n + rng.uniform(-0.3, 0.3)
            lean = rng.uniform(0.2, 0.6)
            tip = (
                math.cos(a) * hh * lean,
                y0 + hh * rng.uniform(0.7, 1.0),
                math.sin(a) * hh * lean,
            )
            out.append(rod((0, y0 - 0.01, 0), tip, r_top * 0.12, 6, r1=r_top * 0.03))
    return out


def flowerpot(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A flowerpot: an open vessel widest at the top, with or without a plant.

    Pots: tapered round (with or without a rolled lip), cylinder, bowl, square tapered planter;
    optional saucer. Plants: none (empty cavity), bush (foliage balls), cactus, leaves. With a
    plant, soil fills the pot to below the rim.
    """
    pot = _pick(rng, {"tapered": 0.4, "cylinder": 0.15, "bowl": 0.15, "square": 0.3})
    plant = _pick(rng, {"none": 0.4, "bush": 0.25, "cactus": 0.15, "leaves": 0.2})
    variant = {"pot": pot, "plant": plant}
    h = rng.uniform(0.15, 0.35)
    r_top = h * rng.uniform(0.45, 0.8)
    wall = r_top * rng.uniform(0.06, 0.12)
    floor = h * rng.uniform(0.06, 0.12)
    parts: list[Manifold] = []
    if pot == "square":
        taper = rng.uniform(0.65, 0.9)
        out = superellipse(r_top * taper, r_top * taper, 12.0, 32)
        shell = outline_extrude(out, h, (1 / taper, 1 / taper))
        inner = out * (r_top * taper - wall) / (r_top * taper)
        s_in = (r_top - wall) / (r_top * taper - wall)
        cav = outline_extrude(inner, h, (1 + (s_in - 1) * (h) / (h - floor),) * 2)
        parts.append(subtract(shell, [cav.translate((0, floor, 0))]))
    else:
        if pot == "tapered":
            r_bot = r_top * rng.uniform(0.6, 0.8)
            outer = [(r_bot, 0.0), (r_top, h)]
        elif pot == "cylinder":
            r_bot = r_top
            outer = [(r_top, 0.0), (r_top, h)]
        else:  # bowl
            r_bot = r_top * 0.45
            outer = [
                (r_bot + (r_top - r_bot) * math.sin(a), h * (1 - math.cos(a)))
                for a in np.linspace(0, math.pi / 2, 6)
            ]
        outer = np.array([(0.0, 0.0), *outer])
        parts.append(revolve_y(shell_profile(outer, wall, floor), SEG + 8))
        if rng.random() < 0.5:  # a lip around the rim
            lip = h * rng.uniform(0.08, 0.18)
            parts.append(
                revolve_y(
                    [
                        (r_top - wall * 0.5, h - lip),
                        (r_top + wall * 1.2, h - lip),
                        (r_top + wall * 1.2, h),
                        (r_top - wall * 0.5, h),
                    ],
                    SEG + 8,
                )
            )
            variant["lip"] = "yes"
        if rng.random() < 0.35:  # saucer
            sr = r_bot * 1.3
            parts.append(
                revolve_y(
                    shell_profile(
                        np.array([(0, 0), (sr * 0.9, 0.0), (sr, h * 0.08)]), wall * 0.6, h * 0.03
                    ),
                    SEG + 8,
                )
            )
            variant["saucer"] = "yes"
    if plant != "none":
        soil = h * rng.uniform(0.6, 0.85)
        r_soil = r_top - wall * 0.5
        if pot == "square":
            parts.append(
                box(
                    (-r_soil * 0.9, floor - 0.005, -r_soil * 0.9),
                    (r_soil * 0.9, soil, r_soil * 0.9),
                )
            )
        else:
            parts.append(
                cyl_y(0, 0, floor - 0.005, soil, r_soil * 0.85, r_soil - wall * 0.2, seg=SEG)
            )
        parts += _plant(rng, soil, r_top, plant)
    return union(parts), variant


def jar(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A jar or vase: a hollow body of revolution whose opening is narrower than its body.

    Shapes: ginger jar (round body, short neck), bottle vase (long thin neck), amphora (tapering
    body, handles), urn (body on a foot), slender vase (tall, gently waisted). All open at the top
    with a real cavity.
    """
    shape = _pick(
        rng, {"ginger": 0.25, "bottle": 0.2, "amphora": 0.15, "urn": 0.15, "slender": 0.25}
    )
    variant = {"shape": shape}
    h = rng.uniform(0.2, 0.5)
    rb = h * rng.uniform(0.25, 0.45)  # body radius
    if shape == "ginger":
        neck_r, neck_y, belly_y = rb * rng.uniform(0.45, 0.65), h * 0.88, h * 0.5
        pts = [
            (rb * 0.6, 0.0),
            (rb * 0.95, h * 0.2),
            (rb, belly_y),
            (rb * 0.85, h * 0.75),
            (neck_r, neck_y),
            (neck_r, h),
        ]
    elif shape == "bottle":
        neck_r = rb * rng.uniform(0.18, 0.3)
        pts = [
            (rb * 0.8, 0.0),
            (rb, h * 0.25),
            (rb * 0.95, h * 0.45),
            (rb * 0.5, h * 0.58),
            (neck_r, h * 0.68),
            (neck_r, h * 0.95),
            (neck_r * 1.4, h),
        ]
    elif shape == "amphora":
        neck_r = rb * rng.uniform(0.3, 0.45)
        pts = [
            (rb * 0.25, 0.0),
            (rb * 0.6, h * 0.2),
            (rb * 0.95, h * 0.5),
            (rb, h * 0.65),
            (rb * 0.6, h * 0.78),
            (neck_r, h * 0.85),
            (neck_r, h * 0.96),
            (neck_r * 1.3, h),
        ]
    elif shape == "urn":
        neck_r = rb * rng.uniform(0.55, 0.75)
        pts = [
            (rb * 0.55, 0.0),
            (rb * 0.55, h * 0.05),
            (rb * 0.25, h * 0.12),
            (rb * 0.3, h * 0.2),
            (rb * 0.9, h * 0.4),
            (rb, h * 0.6),
            (neck_r, h * 0.85),
            (neck_r * 1.25, h),
        ]
    else:  # slender
        rb *= 0.65
        neck_r = rb * rng.uniform(0.55, 0.8)
        pts = [(rb * 0.8, 0.0), (rb, h * 0.3), (neck_r, h * 0.75), (neck_r * 1.3, h)]
    wall = max(min(neck_r * 0.3, rb * 0.1), 0.004)
    outer = np.array([(0.0, 0.0), *pts])
    parts = [revolve_y(shell_profile(outer, wall, h * rng.uniform(0.04, 0.1)), SEG + 8)]
    if shape == "amphora" or (shape in ("ginger", "urn") and rng.random() < 0.3):
        y_a, y_b = h * 0.88, h * 0.6
        r_a = neck_r - wall * 0.5
        r_b = float(np.interp(y_b, outer[:, 1], outer[:, 0])) - wall * 0.5
        for s in (-1, 1):
            out = max(r_a, r_b) + h * 0.12
            parts.append(
                polyline_tube(
                    [
                        (s * r_a, y_a, 0),
                        (s * out, y_a + h * 0.03, 0),
                        (s * out, y_b + h * 0.05, 0),
                        (s * r_b, y_b, 0),
                    ],
                    h * 0.018,
                    8,
                )
            )
        variant["handles"] = "2"
    return union(parts), variant
