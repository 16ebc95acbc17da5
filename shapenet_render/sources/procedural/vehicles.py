"""Vehicle-like families: airplane, car, bus, watercraft, rifle.

Same contract as :mod:`.furniture`: ``builder(rng) -> (solid, variant)``, world frame +Y up, the
object's front (nose, bow, muzzle, bonnet) towards -Z, resting on or above y = 0.
"""

from __future__ import annotations

import math

import numpy as np

from ._parts import (
    SEG,
    SEG_THIN,
    Manifold,
    bevel_box,
    box,
    cyl_x,
    cyl_y,
    cyl_z,
    intersect,
    loft,
    prism,
    revolve_y,
    rod,
    subtract,
    union,
)
from .furniture import Variant, _pick

# --------------------------------------------------------------------------------------------
# airplane
# --------------------------------------------------------------------------------------------


def _fuselage(length: float, radius: float, nose: float, tail: float, tail_r: float) -> Manifold:
    """A body of revolution along Z from z = -length/2 (nose) to +length/2 (tail)."""
    z0, z1 = -length / 2, length / 2
    k = np.linspace(0.0, 1.0, 6)
    nose_pts = [(radius * math.sin(t * math.pi / 2) ** 0.8, z0 + nose * t) for t in k]
    tail_pts = [(radius + (tail_r - radius) * t**1.3, z1 - tail * (1 - t)) for t in k[1:]]
    profile = [(0.0, z0), *nose_pts[1:], *tail_pts, (0.0, z1)]
    # revolve_y() puts the profile's second coordinate on +Y; +90 deg about X turns +Y into +Z.
    return revolve_y(profile, 16).rotate((90.0, 0.0, 0.0))


def _wing(
    span: float,
    root: float,
    tip: float,
    sweep: float,
    z_le: float,
    y: float,
    thick: float,
    dihedral: float = 0.0,
) -> Manifold:
    """Both halves of a trapezoidal wing in the XZ plane; ``sweep`` in degrees at the leading
    edge, ``z_le`` the root leading edge, ``dihedral`` in degrees (tips raised)."""
    s = span / 2
    zt = z_le + s * math.tan(math.radians(sweep))
    pts = np.array(
        [[-s, zt], [0.0, z_le], [s, zt], [s, zt + tip], [0.0, z_le + root], [-s, zt + tip]]
    )
    wing = prism(pts, "xz", y - thick / 2, y + thick / 2)
    if dihedral:
        lift = math.tan(math.radians(dihedral))

        def bend(v: np.ndarray) -> np.ndarray:
            v[:, 1] += np.abs(v[:, 0]) * lift
            return v

        wing = wing.warp_batch(bend)
    return wing


def _fin(
    height: float,
    root: float,
    tip: float,
    sweep: float,
    z_le: float,
    y0: float,
    x: float,
    thick: float,
) -> Manifold:
    """A vertical fin in the ZY plane, rising from ``y0`` at ``x``."""
    zt = z_le + height * math.tan(math.radians(sweep))
    pts = np.array([[z_le, y0], [z_le + root, y0], [zt + tip, y0 + height], [zt, y0 + height]])
    return prism(pts, "zy", x - thick / 2, x + thick / 2)


def airplane(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """An airplane: fuselage, wings, tail.

    Kinds: airliner (swept wings, 2 or 4 underwing engines), business jet (T-tail, engines on the
    rear fuselage), propeller plane (straight high or low wings, nose propeller), fighter (delta
    or swept wings, one or two fins), glider (very long thin wings).
    """
    kind = _pick(
        rng, {"airliner": 0.35, "bizjet": 0.15, "prop": 0.2, "fighter": 0.2, "glider": 0.1}
    )
    L = 1.0
    R = (
        L
        * {
            "airliner": (0.04, 0.06),
            "bizjet": (0.035, 0.05),
            "prop": (0.035, 0.055),
            "fighter": (0.035, 0.05),
            "glider": (0.025, 0.035),
        }[kind][0]
    )
    R *= rng.uniform(1.0, 1.4)
    variant = {"kind": kind}
    parts: list[Manifold] = []
    nose = rng.uniform(0.08, 0.18) if kind != "fighter" else rng.uniform(0.2, 0.3)
    parts.append(_fuselage(L, R, nose, rng.uniform(0.2, 0.35), R * rng.uniform(0.15, 0.4)))
    wing_pos = _pick(rng, {"low": 0.5, "mid": 0.2, "high": 0.3})
    if kind in ("airliner", "bizjet"):
        wing_pos = "low" if kind == "airliner" else wing_pos
    if kind == "glider":
        wing_pos = "high"
    wy = {"low": -0.6 * R, "mid": 0.0, "high": 0.7 * R}[wing_pos]
    variant["wing"] = wing_pos
    tail_z = L / 2 - rng.uniform(0.12, 0.2)
    if kind == "fighter":
        delta = rng.random() < 0.5
        variant["planform"] = "delta" if delta else "swept"
        span = rng.uniform(0.5, 0.75)
        if delta:
            parts.append(_wing(span, 0.55, 0.03, rng.uniform(45, 60), -0.05, wy, 0.012))
        else:
            parts.append(_wing(span, 0.3, 0.08, rng.uniform(30, 45), 0.0, wy, 0.012))
            parts.append(_wing(span * 0.45, 0.14, 0.05, 40, tail_z - 0.02, 0.0, 0.008))
        twin = rng.random() < 0.6
        variant["fins"] = "twin" if twin else "single"
        for x in (-R * 0.8, R * 0.8) if twin else (0.0,):
            parts.append(
                _fin(
                    rng.uniform(0.12, 0.18), 0.16, 0.06, 45, tail_z - 0.08, R * 0.5, x, 0.008
                ).rotate((0, 0, 15 * np.sign(x)))
            )
        # Air intakes beside the cockpit.
        for s in (-1, 1):
            parts.append(
                box(
                    (s * R * 0.6 - 0.03 * (s < 0), -R * 0.6, -0.15),
                    (s * R * 0.6 + 0.03 * (s > 0), R * 0.3, 0.2),
                )
            )
        parts.append(cyl_z(0.0, R * 0.6, -0.3, -0.12, R * 0.5, R * 0.4, seg=12))  # canopy
        return union(parts), variant
    span = {
        "airliner": (0.85, 1.1),
        "bizjet": (0.75, 0.95),
        "prop": (0.9, 1.2),
        "glider": (1.5, 2.0),
    }[kind]
    span = L * rng.uniform(*span)
    root = {"airliner": 0.2, "bizjet": 0.16, "prop": 0.15, "glider": 0.08}[kind]
    root *= rng.uniform(0.85, 1.2)
    sweep = {"airliner": (25, 38), "bizjet": (20, 32), "prop": (0, 8), "glider": (0, 5)}[kind]
    sweep = rng.uniform(*sweep)
    wz = rng.uniform(-0.12, 0.02)
    dihedral = rng.uniform(0, 7)
    parts.append(_wing(span, root, root * rng.uniform(0.3, 0.6), sweep, wz, wy, R * 0.35, dihedral))
    # Tail: conventional or T.
    t_tail = kind == "bizjet" or (kind in ("prop", "glider") and rng.random() < 0.4)
    variant["tail"] = "T" if t_tail else "conventional"
    fin_h = rng.uniform(0.1, 0.18)
    parts.append(
        _fin(fin_h, 0.15, 0.07, rng.uniform(25, 45), tail_z - 0.03, R * 0.3, 0.0, R * 0.35)
    )
    stab_y = R * 0.3 + fin_h * 0.95 if t_tail else R * 0.2
    stab_z = tail_z + (fin_h * 0.6 if t_tail else 0.0)
    parts.append(
        _wing(span * rng.uniform(0.28, 0.4), 0.1, 0.05, sweep * 0.8, stab_z, stab_y, R * 0.25)
    )
    if kind == "airliner":
        n_eng = 4 if rng.random() < 0.3 else 2
        variant["engines"] = str(n_eng)
        er = R * rng.uniform(0.45, 0.7)
        xs = [0.3] if n_eng == 2 else [0.24, 0.42]
        for xf in xs:
            for s in (-1, 1):
                x = s * xf * span / 2
                zl = wz + abs(x) * math.tan(math.radians(sweep))
                ey = wy - er * 1.3 + abs(x) * math.tan(math.radians(dihedral))
                parts.append(cyl_z(x, ey, zl - 0.1, zl + 0.06, er, er * 0.8, seg=16))
                parts.append(box((x - 0.004, ey, zl - 0.02), (x + 0.004, ey + er * 1.4, zl + 0.05)))
    elif kind == "bizjet":
        er = R * 0.5
        for s in (-1, 1):
            x = s * (R + er * 0.9)
            parts.append(cyl_z(x, R * 0.3, tail_z - 0.2, tail_z - 0.05, er, er * 0.8, seg=16))
            parts.append(
                box((min(0, x), R * 0.2, tail_z - 0.15), (max(0, x), R * 0.35, tail_z - 0.1))
            )
    elif kind == "prop":
        pr = rng.uniform(0.08, 0.13)
        z = -L / 2 - 0.005
        parts.append(cyl_z(0, 0, z - 0.03, z + 0.04, R * 0.3, seg=12))
        n_blades = int(rng.integers(2, 5))
        for i in range(n_blades):
            a = math.pi * 2 * i / n_blades
            parts.append(
                rod(
                    (0, 0, z - 0.01),
                    (pr * math.cos(a), pr * math.sin(a), z - 0.01),
                    0.008,
                    6,
                    square=True,
                )
            )
        variant["props"] = "nose"
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# car and bus
# --------------------------------------------------------------------------------------------


def car(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A car: a side-profile body (lower body plus a narrower cabin), four wheels in arches.

    Body types: sedan (three boxes), hatchback, SUV (tall, upright tail), pickup (open bed),
    sports car (low, long bonnet), van (one box). Front towards -Z.
    """
    kind = _pick(
        rng, {"sedan": 0.3, "hatch": 0.18, "suv": 0.18, "pickup": 0.1, "sports": 0.14, "van": 0.1}
    )
    variant = {"body": kind}
    L = rng.uniform(3.8, 5.2)
    W = rng.uniform(1.65, 1.95)
    clear = rng.uniform(0.12, 0.22) if kind not in ("suv", "pickup") else rng.uniform(0.22, 0.32)
    belt = {"sedan": 0.65, "hatch": 0.68, "suv": 0.9, "pickup": 0.9, "sports": 0.5, "van": 0.9}[
        kind
    ] * rng.uniform(0.92, 1.08)  # height of the body's top edge
    top = belt + {
        "sedan": 0.5,
        "hatch": 0.55,
        "suv": 0.7,
        "pickup": 0.65,
        "sports": 0.35,
        "van": 1.0,
    }[kind] * rng.uniform(0.9, 1.1)
    hood = (
        L
        * {"sedan": 0.3, "hatch": 0.28, "suv": 0.28, "pickup": 0.3, "sports": 0.38, "van": 0.1}[
            kind
        ]
        * rng.uniform(0.85, 1.15)
    )
    z0, z1 = -L / 2, L / 2
    lower = np.array(
        [
            [z0 + 0.1, clear],
            [z1 - 0.05, clear],
            [z1, belt * 0.9],
            [z1 - 0.05, belt],
            [z0 + hood * 0.9, belt],
            [z0, belt * 0.85],
            [z0, clear + 0.15],
        ]
    )
    ws = z0 + hood  # windscreen base
    if kind == "sedan":
        cab = [[ws, belt], [ws + 0.55, top], [z1 - L * 0.3, top], [z1 - L * 0.13, belt]]
    elif kind in ("hatch", "suv"):
        rear = z1 - rng.uniform(0.05, 0.25)
        cab = [
            [ws, belt],
            [ws + 0.5 * (top - belt) / 0.55, top],
            [rear - 0.1, top],
            [z1 - 0.02, belt],
        ]
    elif kind == "pickup":
        cab_end = ws + rng.uniform(1.2, 1.9)
        cab = [[ws, belt], [ws + 0.35, top], [cab_end, top], [cab_end, belt]]
    elif kind == "sports":
        cab = [[ws, belt], [ws + 0.7, top], [ws + 1.3, top], [z1 - 0.1, belt]]
    else:  # van: a raked one-box body
        cab = [[z0 + 0.05, belt], [ws + 0.4, top], [z1 - 0.05, top], [z1, belt]]
    cab_w = W * rng.uniform(0.8, 0.9)
    body = union(
        [prism(lower, "zy", -W / 2, W / 2), prism(np.array(cab), "zy", -cab_w / 2, cab_w / 2)]
    )
    cutters = []
    if kind == "pickup":
        cutters.append(
            box((-W / 2 + 0.08, belt * 0.6, cab[2][0] + 0.1), (W / 2 - 0.08, belt + 0.1, z1 - 0.1))
        )
    # Side windows: a shallow recess in the cabin, so the glasshouse reads in renders.
    if rng.random() < 0.7:
        inset = np.array(cab, dtype=float)
        c = inset.mean(axis=0)
        inset = c + (inset - c) * 0.8
        for s in (-1, 1):
            cutters.append(
                prism(
                    inset,
                    "zy",
                    s * cab_w / 2 - 0.03 - (0.1 if s > 0 else 0.0),
                    s * cab_w / 2 + 0.03 + (0.1 if s < 0 else 0.0),
                )
            )
        variant["windows"] = "recessed"
    r = rng.uniform(0.3, 0.38) * (1.15 if kind in ("suv", "pickup") else 1.0)
    wb = L * rng.uniform(0.56, 0.66)
    wheels = []
    tw = rng.uniform(0.18, 0.26)  # tyre width
    for z in (-wb / 2, wb / 2):
        cutters.append(cyl_x(r, z, -W / 2 - 0.1, W / 2 + 0.1, r * 1.12, SEG))
        wheels.append(cyl_x(r, z, W / 2 - tw, W / 2 + 0.02, r, SEG))
        wheels.append(cyl_x(r, z, -W / 2 - 0.02, -W / 2 + tw, r, SEG))
    # Wheels are joined to the body by an axle so the model is one solid.
    for z in (-wb / 2, wb / 2):
        wheels.append(cyl_x(r, z, -W / 2 + 0.05, W / 2 - 0.05, 0.06, SEG_THIN))
    solid = union([subtract(body, cutters), *wheels])
    return solid, variant


def bus(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A bus: a long, tall box with a band of recessed windows and 4-6 wheels.

    Kinds: city bus (flat front), coach (raked windscreen, high floor), school bus (bonnet in
    front of the box), double-decker (two window bands), articulated (two bodies and a bellows).
    """
    kind = _pick(
        rng, {"city": 0.3, "coach": 0.25, "school": 0.15, "double": 0.15, "articulated": 0.15}
    )
    variant = {"kind": kind}
    W = rng.uniform(2.4, 2.6)
    H = rng.uniform(2.9, 3.4) if kind != "double" else rng.uniform(4.1, 4.4)
    L = {
        "city": (9.5, 12.5),
        "coach": (11.0, 13.5),
        "school": (8.0, 11.0),
        "double": (9.5, 11.5),
        "articulated": (16.0, 18.5),
    }[kind]
    L = rng.uniform(*L)
    clear = rng.uniform(0.25, 0.4)
    r = rng.uniform(0.45, 0.55)
    z0, z1 = -L / 2, L / 2
    parts: list[Manifold] = []
    cutters: list[Manifold] = []
    body_z0 = z0 + (rng.uniform(1.2, 1.7) if kind == "school" else 0.0)
    rake = rng.uniform(0.3, 0.7) if kind == "coach" else rng.uniform(0.0, 0.12)
    prof = np.array(
        [
            [body_z0, clear],
            [z1, clear],
            [z1, H - 0.1],
            [z1 - 0.1, H],
            [body_z0 + rake, H],
            [body_z0, H * 0.55],
        ]
    )
    if kind == "articulated":
        joint = z0 + L * 0.55
        parts.append(prism(prof, "zy", -W / 2, W / 2))
        cutters.append(box((-W, -1, joint - 0.4), (W, H + 1, joint + 0.4)))
        parts_b = [
            box((-W / 2 + 0.15, clear + 0.1, joint - 0.45), (W / 2 - 0.15, H - 0.15, joint + 0.45))
        ]
    else:
        parts.append(prism(prof, "zy", -W / 2, W / 2))
        parts_b = []
    if kind == "school":
        hood_h = clear + rng.uniform(0.9, 1.3)
        parts.append(
            bevel_box((-W / 2 + 0.2, clear, z0), (W / 2 - 0.2, hood_h, body_z0 + 0.1), 0.1)
        )
    # Window bands (both sides) and a windscreen recess at the front.
    bands = (
        [(H * 0.5, H * 0.85)] if kind != "double" else [(H * 0.3, H * 0.47), (H * 0.65, H * 0.88)]
    )
    n_win = int(rng.integers(4, 9)) * (2 if kind == "articulated" else 1)
    pitch = (z1 - body_z0 - 1.2) / n_win
    for ya, yb in bands:
        for i in range(n_win):
            za = body_z0 + 0.9 + i * pitch
            for s in (-1, 1):
                # Deep enough (0.2 of a ~2.5 wide body) to show at 64^3.
                cutters.append(
                    box((s * W / 2 - 0.2, ya, za), (s * W / 2 + 0.2, yb, za + pitch * 0.85))
                )
    cutters.append(
        box(
            (-W / 2 + 0.15, H * 0.45 if kind != "double" else H * 0.25, body_z0 - 0.5),
            (W / 2 - 0.15, H - 0.2, body_z0 + 0.05 + rake * 0.5),
        )
    )
    axles = [body_z0 + 2.0 if kind != "school" else z0 + 1.4, z1 - L * 0.22]
    if kind in ("coach", "double") and rng.random() < 0.5:
        axles.append(z1 - L * 0.22 + 2.2 * r + 0.2)
        variant["axles"] = "3"
    if kind == "articulated":
        axles = [z0 + 2.0, joint - 1.6, z1 - 2.0]
    for z in axles:
        cutters.append(cyl_x(r, z, -W, W, r * 1.12, SEG))
    solid = subtract(union(parts), cutters)
    wheels = [solid, *parts_b]
    for z in axles:
        for s in (-1, 1):
            x_in, x_out = s * (W / 2 - 0.3), s * (W / 2 + 0.02)
            wheels.append(cyl_x(r, z, min(x_in, x_out), max(x_in, x_out), r, SEG))
        wheels.append(cyl_x(r, z, -W / 2 + 0.2, W / 2 - 0.2, 0.12, SEG_THIN))
    return union(wheels), variant


# --------------------------------------------------------------------------------------------
# watercraft
# --------------------------------------------------------------------------------------------


def _hull(
    length: float,
    beam: float,
    depth: float,
    bow: float,
    stern_w: float,
    vee: float,
    sheer: float,
    n: int = 12,
) -> Manifold:
    """A ship's hull along Z (bow at -Z), deck at ``y = depth`` (rising by ``sheer`` at the bow).

    Lofted through ``n`` V-shaped cross-sections: a pointed bow over the first ``bow`` fraction
    of the length, full amidships, a transom ``stern_w`` times the beam at the stern.
    """
    secs = []
    for t in np.linspace(0.0, 1.0, n):
        z = -length / 2 + t * length
        if t < bow:
            b = beam / 2 * max(math.sin(t / bow * math.pi / 2), 0.03)
        else:
            b = beam / 2 * (1 - (1 - stern_w) * ((t - bow) / (1 - bow)) ** 3)
        top = depth + sheer * max(0.0, 1 - t / 0.4) ** 2
        keel = depth * 0.3 * max(0.0, 1 - t / 0.08)  # the stem rises towards the bow
        pts = np.array(
            [
                [-b, top],
                [-b * 0.85, depth * 0.35],
                [-b * vee, keel],
                [b * vee, keel],
                [b * 0.85, depth * 0.35],
                [b, top],
            ]
        )
        secs.append(np.column_stack([pts, np.full(len(pts), z)]))
    return loft(secs)


def watercraft(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A boat or ship: a pointed hull with kind-specific superstructure, bow towards -Z.

    Kinds: sailboat (mast, one or two sails, keel fin), motor yacht (stepped cabins), ship (long
    hull, bridge block, funnels, deck cargo), rowboat/canoe (open hull with a cavity and seats).
    """
    kind = _pick(rng, {"sailboat": 0.3, "yacht": 0.25, "ship": 0.25, "rowboat": 0.2})
    variant = {"kind": kind}
    L = 1.0
    beam = (
        L
        * {
            "sailboat": (0.25, 0.35),
            "yacht": (0.22, 0.3),
            "ship": (0.12, 0.18),
            "rowboat": (0.2, 0.3),
        }[kind][0]
        * rng.uniform(1.0, 1.3)
    )
    depth = beam * rng.uniform(0.35, 0.6) * (1.4 if kind == "ship" else 1.0)
    bow = rng.uniform(0.25, 0.45)
    parts: list[Manifold] = [
        _hull(
            L,
            beam,
            depth,
            bow,
            rng.uniform(0.5, 0.9) if kind != "rowboat" else rng.uniform(0.2, 0.6),
            rng.uniform(0.05, 0.3),
            depth * rng.uniform(0.1, 0.4),
        )
    ]
    cutters: list[Manifold] = []
    if kind == "sailboat":
        mh = rng.uniform(0.8, 1.3)
        mz = -L * rng.uniform(0.05, 0.2)
        parts.append(cyl_y(0, mz, depth * 0.5, depth + mh, 0.015, seg=8))
        main = np.array(
            [
                [mz + 0.01, depth + 0.08],
                [mz + L * rng.uniform(0.3, 0.45), depth + 0.08],
                [mz + 0.01, depth + mh * 0.95],
            ]
        )
        # Sails are sheets in reality; 2 cm keeps them as solid voxels at 64^3.
        parts.append(prism(main, "zy", -0.01, 0.01))
        if rng.random() < 0.6:
            jib = np.array(
                [
                    [mz - 0.01, depth + 0.06],
                    [-L / 2 + 0.05, depth + 0.04],
                    [mz - 0.01, depth + mh * 0.8],
                ]
            )
            parts.append(prism(jib, "zy", -0.01, 0.01))
            variant["sails"] = "2"
        parts.append(box((-0.01, -depth * 0.6, mz - 0.05), (0.01, 0.05, mz + 0.1)))  # keel fin
        parts.append(
            bevel_box(
                (-beam * 0.25, depth - 0.03, mz + 0.03),
                (beam * 0.25, depth + 0.06, mz + 0.25),
                0.01,
            )
        )
    elif kind == "yacht":
        n = int(rng.integers(1, 4))
        z_a, z_b = -L * 0.2, L * 0.4
        y = depth
        w = beam * 0.8
        for _ in range(n):
            hh = rng.uniform(0.05, 0.08)
            front = np.array(
                [[-w / 2, z_a + 0.06], [w / 2, z_a + 0.06], [w / 2, z_b], [-w / 2, z_b]]
            )
            tier = Manifold.batch_hull(
                [
                    prism(front, "xz", y - 0.01, y + hh),
                    prism(front * [0.9, 1.0] + [0, 0.06], "xz", y + hh - 1e-3, y + hh),
                ]
            )
            parts.append(tier)
            y += hh
            z_a += rng.uniform(0.04, 0.12)
            z_b -= rng.uniform(0.0, 0.1)
            w *= 0.85
        variant["decks"] = str(n)
    elif kind == "ship":
        bz = L * rng.uniform(0.15, 0.35)
        bh = rng.uniform(0.08, 0.16)
        parts.append(box((-beam * 0.4, depth - 0.01, bz), (beam * 0.4, depth + bh, bz + 0.1)))
        parts.append(
            box((-beam * 0.45, depth + bh - 0.03, bz), (beam * 0.45, depth + bh, bz + 0.06))
        )
        nf = int(rng.integers(0, 3))
        for i in range(nf):
            parts.append(
                cyl_y(0, bz + 0.13 + i * 0.06, depth, depth + bh + 0.06, 0.018, 0.015, seg=12)
            )
        cargo = rng.random() < 0.5
        if cargo:
            for i in range(int(rng.integers(2, 6))):
                z = -L * 0.3 + i * 0.09
                if z + 0.08 < bz:
                    parts.append(
                        box(
                            (-beam * 0.38, depth - 0.01, z),
                            (beam * 0.38, depth + rng.uniform(0.02, 0.06), z + 0.08),
                        )
                    )
        variant["funnels"] = str(nf)
        variant["cargo"] = "yes" if cargo else "no"
    else:  # rowboat / canoe: hollow it out and add thwarts
        inner = _hull(L * 0.92, beam * 0.85, depth, bow, 0.4, 0.05, 0.0).translate(
            (0, depth * 0.2, 0)
        )
        cutters.append(inner)
        n = int(rng.integers(1, 4))
        seats = [
            box(
                (-beam / 2, depth * 0.7, -0.2 + i * 0.25),
                (beam / 2, depth * 0.78, -0.2 + i * 0.25 + 0.05),
            )
            for i in range(n)
        ]
        variant["seats"] = str(n)
        solid = subtract(union(parts), cutters)
        # Clip the thwarts to the hull's outside so they do not poke through the sides.
        outside = _hull(L, beam, depth, bow, 0.5, 0.2, 0.0)
        seats_in = [intersect(s, outside) for s in seats]
        return union([solid, *seats_in]), variant
    return subtract(union(parts), cutters), variant


# --------------------------------------------------------------------------------------------
# rifle
# --------------------------------------------------------------------------------------------


def rifle(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A long gun, muzzle towards -Z, thin along X.

    Kinds: hunting rifle (one-piece stock, optional scope), assault rifle (pistol grip, curved
    magazine, carry handle or rail), sniper rifle (long barrel, bipod, big scope), shotgun
    (thick barrel over a pump tube).
    """
    kind = _pick(rng, {"hunting": 0.3, "assault": 0.3, "sniper": 0.2, "shotgun": 0.2})
    variant = {"kind": kind}
    w = rng.uniform(0.035, 0.05)
    parts: list[Manifold] = []
    rz = rng.uniform(0.0, 0.1)  # receiver front
    rlen = rng.uniform(0.18, 0.28)
    ry0, ry1 = 0.0, rng.uniform(0.05, 0.08)
    parts.append(box((-w / 2, ry0, rz), (w / 2, ry1, rz + rlen)))
    barrel = {
        "hunting": (0.5, 0.65),
        "assault": (0.35, 0.5),
        "sniper": (0.65, 0.85),
        "shotgun": (0.5, 0.65),
    }[kind]
    bl = rng.uniform(*barrel)
    br = rng.uniform(0.011, 0.016) * (1.6 if kind == "shotgun" else 1.0)
    by = ry1 * 0.65
    parts.append(cyl_z(0, by, rz - bl, rz + 0.02, br, seg=12))
    stock_z = rz + rlen
    sl = rng.uniform(0.28, 0.38)
    drop = rng.uniform(0.02, 0.08)
    butt_h = rng.uniform(0.1, 0.16)
    if kind in ("hunting", "sniper", "shotgun") and rng.random() < 0.7:
        # One-piece stock with a wrist and a forend under the barrel.
        fore = rng.uniform(0.15, 0.3)
        prof = np.array(
            [
                [rz - fore, by - 0.01],
                [rz - fore, by - 0.035],
                [stock_z, ry0 - 0.02],
                [stock_z + 0.05, ry0 - 0.03],
                [stock_z + sl, ry0 - drop - butt_h * 0.7],
                [stock_z + sl, ry0 - drop + butt_h * 0.3],
                [stock_z + 0.06, ry0 + 0.01],
                [stock_z, ry1 * 0.5],
            ]
        )
        parts.append(prism(prof, "zy", -w / 2 * 0.9, w / 2 * 0.9))
        variant["stock"] = "one-piece"
    else:
        grip = np.array(
            [
                [stock_z - 0.07, ry0 + 0.01],
                [stock_z - 0.03, ry0 + 0.01],
                [stock_z - 0.0, ry0 - 0.11],
                [stock_z - 0.04, ry0 - 0.11],
            ]
        )
        parts.append(prism(grip, "zy", -w / 2 * 0.8, w / 2 * 0.8))
        prof = np.array(
            [
                [stock_z - 0.01, ry1 - 0.005],
                [stock_z - 0.01, ry0 + 0.005],
                [stock_z + sl, ry0 - drop - butt_h * 0.6],
                [stock_z + sl, ry1 - drop * 0.3],
                [stock_z + sl - 0.05, ry1 - 0.005],
            ]
        )
        if rng.random() < 0.5:  # skeleton stock: a hole through it
            hole = np.array(
                [
                    [stock_z + 0.06, ry0 - 0.0],
                    [stock_z + sl - 0.07, ry0 - drop * 0.5 - butt_h * 0.3],
                    [stock_z + sl - 0.07, ry1 - drop * 0.3 - 0.03],
                    [stock_z + 0.06, ry1 - 0.03],
                ]
            )
            stock = subtract(
                prism(prof, "zy", -w / 2 * 0.8, w / 2 * 0.8), [prism(hole, "zy", -w, w)]
            )
            variant["stock"] = "skeleton"
        else:
            stock = prism(prof, "zy", -w / 2 * 0.8, w / 2 * 0.8)
            variant["stock"] = "pistol-grip"
        parts.append(stock)
        parts.append(
            box(
                (-w / 2 * 0.9, by - 0.035, rz - bl * rng.uniform(0.3, 0.5)),
                (w / 2 * 0.9, ry1, rz + 0.01),
            )
        )  # handguard
    if kind == "assault" or (kind == "sniper" and rng.random() < 0.5):
        curved = kind == "assault" and rng.random() < 0.6
        ml = rng.uniform(0.1, 0.2)
        mag = box((-w / 2 * 0.7, ry0 - ml, -0.0), (w / 2 * 0.7, ry0 + 0.01, 0.05))
        if curved:
            mag = mag.rotate((20.0, 0, 0))
        parts.append(mag.translate((0, 0, rz + rlen * 0.2)))
        variant["magazine"] = "curved" if curved else "straight"
    if kind == "shotgun":
        parts.append(cyl_z(0, by - br * 2.2, rz - bl * 0.8, rz + 0.02, br * 0.8, seg=12))
        parts.append(cyl_z(0, by - br * 2.2, rz - bl * 0.55, rz - bl * 0.25, br * 1.5, seg=12))
        variant["pump"] = "yes"
    scope = (
        kind == "sniper"
        or (kind == "hunting" and rng.random() < 0.6)
        or (kind == "assault" and rng.random() < 0.3)
    )
    if scope:
        sr = rng.uniform(0.012, 0.022)
        sy = ry1 + sr + 0.015
        sz0, sz1 = rz - 0.06, rz + rlen + 0.02
        parts.append(cyl_z(0, sy, sz0, sz1, sr, seg=12))
        parts.append(cyl_z(0, sy, sz0 - 0.05, sz0 + 0.01, sr * 1.5, sr, seg=12))
        parts.append(cyl_z(0, sy, sz1 - 0.01, sz1 + 0.04, sr, sr * 1.3, seg=12))
        for z in (rz + 0.02, rz + rlen - 0.05):
            parts.append(box((-0.008, ry1 - 0.005, z), (0.008, sy, z + 0.02)))
        variant["scope"] = "yes"
    elif kind == "assault" and rng.random() < 0.5:
        parts.append(box((-0.006, ry1 - 0.005, rz + 0.02), (0.006, ry1 + 0.05, rz + rlen - 0.02)))
        parts.append(box((-0.01, ry1 + 0.04, rz + 0.0), (0.01, ry1 + 0.055, rz + rlen)))
        variant["carry_handle"] = "yes"
    if kind == "sniper" and rng.random() < 0.7:
        bz = rz - bl * 0.45
        for s in (-1, 1):
            parts.append(rod((0, by - 0.01, bz), (s * 0.06, by - 0.2, bz - 0.04), 0.005, 6))
        variant["bipod"] = "yes"
    if rng.random() < 0.4:
        parts.append(cyl_z(0, by, rz - bl - 0.04, rz - bl + 0.01, br * 1.6, seg=12))  # muzzle
    return union(parts), variant
