"""Furniture families: chair, sofa, bathtub, table, bench, cabinet.

Each builder takes a seeded ``numpy.random.Generator`` and returns ``(solid, variant)``: a
manifold3d solid in the world frame (+Y up, the object's front towards -Z, standing on y = 0) and
a dict naming the structural choices made (used by tests and previews). Structural choices are
drawn first, then continuous proportions, so that variants differ in topology, not only in size.
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
    polygon,
    polyline_tube,
    prism,
    rod,
    rounded_rect,
    subtract,
    superellipse,
    union,
)

Variant = dict[str, str]


def _pick(rng: np.random.Generator, options: dict[str, float]) -> str:
    """Draw one key of ``options`` with probability proportional to its value."""
    keys = list(options)
    p = np.array([options[k] for k in keys], dtype=np.float64)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


# --------------------------------------------------------------------------------------------
# chair
# --------------------------------------------------------------------------------------------


def _seat_outline(rng: np.random.Generator, shape: str, w: float, d: float) -> np.ndarray:
    """``(n, 2)`` seat outline in (x, z), centred; the front edge is at z = -d/2."""
    if shape == "round":
        return superellipse(w / 2, d / 2, 2.0, SEG)
    if shape == "rounded":
        return superellipse(w / 2, d / 2, rng.uniform(3.0, 6.0), SEG)
    if shape == "trapezoid":
        back = w * rng.uniform(0.72, 0.9)
        return np.array([[-w / 2, -d / 2], [w / 2, -d / 2], [back / 2, d / 2], [-back / 2, d / 2]])
    return np.array([[-w / 2, -d / 2], [w / 2, -d / 2], [w / 2, d / 2], [-w / 2, d / 2]])


def _chair_back(
    rng: np.random.Generator, style: str, bw: float, bh: float, bt: float
) -> list[Manifold]:
    """Back parts in a local frame: width along X centred at 0, rising from y = 0 to ``bh``,
    thickness ``bt`` along +Z from z = 0 (the face the sitter leans on is z = 0)."""
    post = rng.uniform(0.025, 0.05)
    parts: list[Manifold] = []
    if style == "solid":
        top = _pick(rng, {"flat": 1.0, "arched": 1.0, "tapered": 0.7})
        if top == "arched":
            k = np.linspace(0, math.pi, 9)
            arch = rng.uniform(0.06, 0.25) * bh
            pts = [(-bw / 2, 0.0), (bw / 2, 0.0)] + [
                (bw / 2 * math.cos(a), bh - arch + arch * math.sin(a)) for a in k
            ]
        elif top == "tapered":
            tw = bw * rng.uniform(0.55, 0.85)
            pts = [(-bw / 2, 0.0), (bw / 2, 0.0), (tw / 2, bh), (-tw / 2, bh)]
        else:
            pts = [(-bw / 2, 0.0), (bw / 2, 0.0), (bw / 2, bh), (-bw / 2, bh)]
        gap = rng.uniform(0.06, 0.2) * bh if rng.random() < 0.35 else 0.0
        panel = prism(np.array(pts), "xy", 0.0, bt)
        if gap > 0:
            # A panel floating on two posts, like many office and cafe chairs.
            panel = subtract(panel, [box((-bw, -0.01, -0.1), (bw, gap, bt + 0.1))])
            for s in (-1, 1):
                x = s * (bw / 2 - post)
                parts.append(box((x - post / 2, -0.01, 0.0), (x + post / 2, gap + 0.03, bt)))
        parts.append(panel)
        return parts
    # Frame-based backs: two posts and a top rail.
    rail = rng.uniform(0.04, 0.12) * (1.5 if style == "frame" else 1.0)
    depth = min(bt, rng.uniform(0.02, 0.04))
    for s in (-1, 1):
        x = s * (bw / 2 - post / 2)
        parts.append(box((x - post / 2, -0.01, 0.0), (x + post / 2, bh, depth + 0.01)))
    parts.append(box((-bw / 2, bh - rail, 0.0), (bw / 2, bh, depth)))
    inner = bw - 2 * post
    if style == "slatted":
        n = int(rng.integers(3, 8))
        sw = inner / n * rng.uniform(0.25, 0.6)
        bottom = rng.uniform(0.0, 0.12) * bh
        if bottom > 0.03:
            parts.append(box((-bw / 2, bottom - 0.03, 0.0), (bw / 2, bottom, depth)))
        for i in range(n):
            x = -inner / 2 + (i + 0.5) * inner / n
            parts.append(
                box(
                    (x - sw / 2, bottom - 0.02, 0.003),
                    (x + sw / 2, bh - rail + 0.01, depth - 0.003),
                )
            )
    elif style == "ladder":
        n = int(rng.integers(2, 5))
        rh = rng.uniform(0.03, 0.07)
        for i in range(n):
            y = bh - rail - (i + 1) * (bh - rail) / (n + 0.6)
            parts.append(box((-bw / 2, y - rh / 2, 0.003), (bw / 2, y + rh / 2, depth - 0.003)))
    elif style == "frame" and rng.random() < 0.5:
        y = rng.uniform(0.15, 0.45) * bh
        parts.append(box((-bw / 2, y, 0.003), (bw / 2, y + rail * 0.5, depth - 0.003)))
    return parts


def chair(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A chair: seat, one of five bases, one of four backs, optional arms.

    Bases: four legs (straight or splayed, round or square, optional stretchers), sled runners
    (incl. cantilever), swivel star base with casters, pedestal (tulip) and a solid block (club
    chair). Backs: solid (flat/arched/tapered top, optionally floating), vertical slats, ladder
    (horizontal rails) and an open frame. Arms: none, rails on posts, or solid panels.
    """
    base = _pick(
        rng, {"four_leg": 0.42, "sled": 0.14, "swivel": 0.18, "pedestal": 0.1, "block": 0.16}
    )
    back = _pick(rng, {"solid": 0.4, "slatted": 0.22, "ladder": 0.14, "frame": 0.24})
    arms = _pick(rng, {"none": 0.5, "rail": 0.3, "panel": 0.2})
    shape = _pick(rng, {"rect": 0.4, "rounded": 0.3, "round": 0.12, "trapezoid": 0.18})
    if base == "block":
        shape = "rect" if shape in ("round", "trapezoid") else shape
    w = rng.uniform(0.40, 0.64) * (1.2 if base == "block" else 1.0)
    d = rng.uniform(0.38, 0.58) * (1.15 if base == "block" else 1.0)
    if shape == "round":
        d = w * rng.uniform(0.85, 1.0)
    h = rng.uniform(0.36, 0.52)  # seat top height
    t = rng.uniform(0.03, 0.09) if base != "block" else rng.uniform(0.1, 0.2)
    variant = {"base": base, "back": back, "arms": arms, "seat": shape}
    parts: list[Manifold] = []

    # Seat (optionally with a cushion on it).
    outline = _seat_outline(rng, shape, w, d)
    parts.append(prism(outline, "xz", h - t, h))
    if rng.random() < 0.3:
        cushion = outline * rng.uniform(0.86, 0.95)
        parts.append(prism(cushion, "xz", h - 0.01, h + rng.uniform(0.03, 0.08)))
        variant["cushion"] = "yes"

    # Back: built upright in a local frame, tilted back about X, placed on the seat's rear edge.
    bw = w * rng.uniform(0.75, 1.0)
    if shape == "round":
        # Narrower, so that the chord it stands on lies near the back of the round seat.
        bw = w * rng.uniform(0.5, 0.7)
    elif shape == "trapezoid":
        bw = min(bw, abs(outline[2, 0]) * 2)
    bh = rng.uniform(0.28, 0.75) * (1.1 if base == "swivel" else 1.0)
    bt = rng.uniform(0.02, 0.09)
    tilt = rng.uniform(0.0, 18.0)
    rear = d / 2 - (
        d / 2 * (1 - math.sqrt(max(0.0, 1 - (bw / w) ** 2))) if shape == "round" else 0.0
    )
    back_solid = union(_chair_back(rng, back, bw, bh, bt))
    back_solid = back_solid.rotate((tilt, 0.0, 0.0)).translate((0.0, h - 0.02, rear - bt))
    parts.append(back_solid)
    variant["back_tilt"] = f"{tilt:.0f}"

    # Base.
    under = h - t + 0.005
    if base == "four_leg":
        lt = rng.uniform(0.018, 0.045)
        round_legs = rng.random() < 0.45
        splay = rng.uniform(0.0, 0.07) if rng.random() < 0.4 else 0.0
        taper = rng.uniform(0.6, 1.0)
        ix, iz = w / 2 - lt - rng.uniform(0.0, 0.05), d / 2 - lt - rng.uniform(0.0, 0.05)
        if shape == "trapezoid":
            ix_back = min(ix, abs(outline[2, 0]) - lt)
        else:
            ix_back = ix
        if shape == "round":
            ix, iz = ix * 0.72, iz * 0.72
            ix_back = ix
        corners = [(-ix, -iz), (ix, -iz), (-ix_back, iz), (ix_back, iz)]
        for cx, cz in corners:
            foot = (cx + math.copysign(splay, cx), 0.0, cz + math.copysign(splay, cz))
            parts.append(
                rod(
                    foot,
                    (cx, under, cz),
                    lt,
                    SEG_THIN,
                    r1=lt / taper if taper < 1 else None,
                    square=not round_legs,
                )
            )
        rails = _pick(rng, {"none": 0.45, "h": 0.25, "box": 0.3})
        variant["legs"] = f"{'round' if round_legs else 'square'}{'-splayed' if splay else ''}"
        variant["stretchers"] = rails
        ry = rng.uniform(0.08, 0.2) * h
        rr = lt * 0.45
        pos = [
            (
                cx + math.copysign(splay * (1 - ry / under), cx),
                ry,
                cz + math.copysign(splay * (1 - ry / under), cz),
            )
            for cx, cz in corners
        ]
        if rails == "box":
            for a, b in ((0, 1), (2, 3), (0, 2), (1, 3)):
                parts.append(rod(pos[a], pos[b], rr, SEG_THIN, square=not round_legs))
        elif rails == "h":
            for a, b in ((0, 2), (1, 3)):
                parts.append(rod(pos[a], pos[b], rr, SEG_THIN, square=not round_legs))
            mid0 = np.mean([pos[0], pos[2]], axis=0)
            mid1 = np.mean([pos[1], pos[3]], axis=0)
            parts.append(rod(mid0, mid1, rr, SEG_THIN, square=not round_legs))
        if rng.random() < 0.4:  # apron under the seat
            ah = rng.uniform(0.03, 0.08)
            parts.append(
                box((-ix_back - lt, under - ah, -iz - lt), (ix + lt, under + 0.01, iz + lt))
            )
    elif base == "sled":
        r = rng.uniform(0.01, 0.02)
        cantilever = rng.random() < 0.35
        variant["sled"] = "cantilever" if cantilever else "runners"
        xr = w / 2 - rng.uniform(0.02, 0.08)
        zf, zb = -d / 2 - rng.uniform(-0.04, 0.05), d / 2 + rng.uniform(-0.06, 0.04)
        for s in (-1, 1):
            x = s * xr
            if cantilever:
                pts = [(x, r, zb), (x, r, zf), (x, under - r, zf + 0.04), (x, under - r, zb - 0.05)]
            else:
                lean = rng.uniform(0.0, 0.06)
                pts = [(x, under - r, zf + lean), (x, r, zf), (x, r, zb), (x, under - r, zb - lean)]
            parts.append(polyline_tube(pts, r))
    elif base == "swivel":
        col_r = rng.uniform(0.022, 0.04)
        hub_y = rng.uniform(0.06, 0.12)
        parts.append(cyl_y(0, 0, hub_y - 0.02, under, col_r, seg=SEG_THIN * 2))
        parts.append(
            cyl_y(0, 0, hub_y, hub_y + rng.uniform(0.08, 0.2), col_r * 1.5, seg=SEG_THIN * 2)
        )
        parts.append(box((-0.09, under - 0.05, -0.1), (0.09, under + 0.01, 0.1)))
        n = 5 if rng.random() < 0.75 else 4
        reach = rng.uniform(0.24, 0.33)
        casters = rng.random() < 0.8
        tip_y = 0.05 if casters else 0.015
        lr = rng.uniform(0.015, 0.025)
        a0 = rng.uniform(0, 2 * math.pi)
        for i in range(n):
            a = a0 + 2 * math.pi * i / n
            tip = (reach * math.cos(a), tip_y, reach * math.sin(a))
            parts.append(rod((0, hub_y, 0), tip, lr, SEG_THIN, extend=lr, square=True))
            if casters:
                parts.append(
                    cyl_x(0.026, 0, -0.012, 0.012, 0.026, SEG_THIN)
                    .rotate((0, -math.degrees(a), 0))
                    .translate((tip[0], 0, tip[2]))
                )
                parts.append(cyl_y(tip[0], tip[2], 0.02, tip_y + 0.01, 0.008, seg=8))
        variant["star"] = f"{n}{'-casters' if casters else ''}"
    elif base == "pedestal":
        col_r = rng.uniform(0.025, 0.06)
        foot_r = rng.uniform(0.17, 0.27)
        flare = rng.random() < 0.5
        foot_h = rng.uniform(0.015, 0.04)
        parts.append(cyl_y(0, 0, 0, foot_h, foot_r, foot_r * (0.7 if flare else 1.0)))
        parts.append(
            cyl_y(
                0,
                0,
                foot_h - 0.01,
                under,
                col_r * (1.8 if flare else 1.0),
                col_r * (1.6 if flare else 1.0),
                seg=SEG_THIN * 2,
            )
        )
        variant["pedestal"] = "tulip" if flare else "disc"
    else:  # block: an upholstered box under the seat, maybe on short feet
        feet = rng.uniform(0.03, 0.1) if rng.random() < 0.5 else 0.0
        # Inset 1 cm: faces flush with the seat's sides would leave sliver triangles.
        parts.append(box((-w / 2 + 0.01, feet, -d / 2 + 0.01), (w / 2 - 0.01, under, d / 2 - 0.01)))
        if feet:
            for sx in (-1, 1):
                for sz in (-1, 1):
                    parts.append(
                        cyl_y(
                            sx * (w / 2 - 0.04),
                            sz * (d / 2 - 0.04),
                            0.0,
                            feet + 0.01,
                            0.02,
                            0.014,
                            seg=SEG_THIN,
                        )
                    )

    # Arms.
    if arms != "none":
        ah = h + rng.uniform(0.16, 0.28)
        aw = rng.uniform(0.035, 0.07) if arms == "rail" else rng.uniform(0.04, 0.14)
        ax = (abs(outline[:, 0]).max() if shape != "trapezoid" else w / 2) + aw / 2 - 0.01
        zf = -d / 2 + rng.uniform(0.0, 0.08)
        zb = rear - 0.02
        for s in (-1, 1):
            x = s * ax
            if arms == "rail":
                parts.append(box((x - aw / 2, ah - 0.03, zf), (x + aw / 2, ah, zb)))
                pz = zf + 0.03
                parts.append(box((x - 0.015, h - t, pz - 0.015), (x + 0.015, ah, pz + 0.015)))
                if base == "swivel":
                    parts.append(box((x - 0.015, h - t, pz), (x + 0.015, h - t + 0.02, 0.08)))
            else:
                y0 = 0.0 if base == "block" else h - t
                parts.append(bevel_box((x - aw / 2, y0, zf), (x + aw / 2, ah, zb + bt), aw * 0.3))
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# sofa
# --------------------------------------------------------------------------------------------


def _cushion_row(
    x0: float,
    x1: float,
    n: int,
    y0: float,
    y1: float,
    z0: float,
    z1: float,
    gap: float,
    soft: float,
) -> list[Manifold]:
    """``n`` cushions side by side between ``x0`` and ``x1`` with ``gap`` between them."""
    width = (x1 - x0 - gap * (n - 1)) / n
    out = []
    for i in range(n):
        a = x0 + i * (width + gap)
        out.append(bevel_box((a, y0, z0), (a + width, y1, z1), soft))
    return out


def sofa(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A sofa (couch): frame, recessed seat cushions, back cushions, optional arms.

    Layouts: straight, L-shaped with a chaise (one side extends forward), L-shaped corner
    sectional (a second back along the side). Arms: none, box, rolled, sloped. Base: plinth or
    legs. The seat cushions sit below the arm and back tops, so the seat is a real recess.
    """
    layout = _pick(rng, {"straight": 0.55, "chaise": 0.2, "corner": 0.25})
    arm_style = _pick(rng, {"none": 0.22, "box": 0.38, "rolled": 0.22, "sloped": 0.18})
    legs = rng.random() < 0.55
    length = rng.uniform(1.2, 2.5) if layout == "straight" else rng.uniform(1.9, 2.8)
    depth = rng.uniform(0.75, 1.05)
    leg_h = rng.uniform(0.05, 0.18) if legs else 0.0
    seat_h = rng.uniform(0.36, 0.48)
    ct = rng.uniform(0.09, 0.18)  # seat cushion thickness
    deck = seat_h - ct
    back_h = rng.uniform(0.65, 1.0)
    bt = rng.uniform(0.1, 0.22)  # back frame thickness
    bct = rng.uniform(0.1, 0.2)  # back cushion thickness
    aw = rng.uniform(0.08, 0.26)
    ah = min(back_h - 0.05, seat_h + rng.uniform(0.12, 0.3))
    soft = rng.uniform(0.02, 0.05)
    gap = rng.uniform(0.008, 0.025)
    side = 1 if rng.random() < 0.5 else -1  # which side an L extends on
    ext = rng.uniform(0.55, 1.1)  # how far an L extends forward (-Z)
    variant = {"layout": layout, "arms": arm_style, "base": "legs" if legs else "plinth"}

    x0, x1 = -length / 2, length / 2
    z0, z1 = -depth / 2, depth / 2
    parts: list[Manifold] = []
    # Frame: seat deck and back.
    parts.append(box((x0, leg_h, z0), (x1, deck, z1)))
    back_top = rng.uniform(0.0, 0.12) if rng.random() < 0.5 else 0.0
    parts.append(box((x0, leg_h, z1 - bt), (x1, back_h - back_top, z1)))
    if back_top:
        parts.append(cyl_x(back_h - back_top, z1 - bt / 2, x0, x1, max(back_top, bt / 2)))
    # The L part: the deck extends forward on one side.
    lw = rng.uniform(0.6, 0.95)  # width of the L's leg
    lx0, lx1 = (x1 - lw, x1) if side > 0 else (x0, x0 + lw)
    if layout != "straight":
        parts.append(box((lx0, leg_h, z0 - ext), (lx1, deck, z0 + 0.01)))
    if layout == "corner":
        # A sectional: a back along the outer side of the L.
        bx0, bx1 = (x1 - bt, x1) if side > 0 else (x0, x0 + bt)
        parts.append(box((bx0, leg_h, z0 - ext), (bx1, back_h - back_top, z1)))

    # Arms: on both ends of a straight sofa; on the far end of an L (and the chaise's front end
    # for a corner sectional).
    arm_x: list[tuple[float, float, float, float]] = []  # (xa, xb, za, zb)
    if arm_style != "none":
        if layout == "straight":
            arm_x = [(x0, x0 + aw, z0, z1), (x1 - aw, x1, z0, z1)]
        else:
            far = (x0, x0 + aw, z0, z1) if side > 0 else (x1 - aw, x1, z0, z1)
            arm_x = [far]
            if layout == "chaise":
                near = (x1 - aw, x1, z0 - ext, z1) if side > 0 else (x0, x0 + aw, z0 - ext, z1)
                if rng.random() < 0.5:
                    arm_x.append(near)
    for xa, xb, za, zb in arm_x:
        if arm_style == "box":
            parts.append(bevel_box((xa, leg_h, za), (xb, ah, zb), soft))
        elif arm_style == "rolled":
            r = (xb - xa) * rng.uniform(0.55, 0.75)
            xc = (xa + xb) / 2 + (r - (xb - xa) / 2) * (1 if xa > 0 else -1)
            parts.append(box((xa, leg_h, za), (xb, ah - r * 0.5, zb)))
            parts.append(cyl_z(xc, ah - r, za, zb, r))
        else:  # sloped: high at the back, low at the front (chamfered like the box arms)
            front_arm = bevel_box((xa, leg_h, za), (xb, seat_h + 0.05, za + 0.1), soft)
            back_arm = bevel_box((xa, leg_h, zb - 0.1), (xb, ah + 0.05, zb), soft)
            parts.append(Manifold.batch_hull([front_arm, back_arm]))
    arm_left = any(a[0] == x0 for a in arm_x)
    arm_right = any(a[1] == x1 for a in arm_x)

    # Back cushions, leaning slightly back, in front of the back frame.
    bx0 = x0 + (aw if arm_left else 0.0)
    bx1 = x1 - (aw if arm_right else 0.0)
    if layout == "corner":
        if side > 0:
            bx1 = x1 - bt
        else:
            bx0 = x0 + bt
    n_back = int(np.clip(round((bx1 - bx0) / rng.uniform(0.55, 0.95)), 1, 4))
    cush_top = back_h - rng.uniform(-0.02, 0.12)
    lean = rng.uniform(3.0, 14.0)
    bz1 = z1 - bt + 0.02
    bz0 = bz1 - bct
    back_row = union(
        _cushion_row(bx0, bx1, n_back, deck, cush_top - deck + deck, bz0, bz1, gap, soft * 1.5)
    )
    # Lean the cushions back about their bottom rear edge.
    back_row = back_row.translate((0, -deck, -bz1)).rotate((lean, 0, 0)).translate((0, deck, bz1))
    parts.append(back_row)
    variant["back_cushions"] = str(n_back)

    # Seat cushions, from the front edge to the back cushions.
    sx0 = x0 + (aw if arm_left else 0.0)
    sx1 = x1 - (aw if arm_right else 0.0)
    front = z0 - rng.uniform(0.0, 0.03)
    n_seat = int(np.clip(round((sx1 - sx0) / rng.uniform(0.6, 1.0)), 1, 4))
    if layout == "straight":
        parts += _cushion_row(sx0, sx1, n_seat, deck - 0.01, seat_h, front, bz0 + 0.04, gap, soft)
    else:
        # Main run beside the L, then a long cushion on the L itself.
        if side > 0:
            mx0, mx1, cx0, cx1 = sx0, lx0 - gap, lx0, sx1 if layout == "chaise" else x1 - bt
        else:
            mx0, mx1, cx0, cx1 = lx1 + gap, sx1, sx0 if layout == "chaise" else x0 + bt, lx1
        n_main = int(np.clip(round((mx1 - mx0) / rng.uniform(0.6, 1.0)), 1, 3))
        parts += _cushion_row(mx0, mx1, n_main, deck - 0.01, seat_h, front, bz0 + 0.04, gap, soft)
        parts.append(
            bevel_box((cx0, deck - 0.01, z0 - ext - 0.02), (cx1, seat_h, bz0 + 0.04), soft)
        )
        if layout == "corner":
            # Back cushions along the side back, facing inwards.
            sz0, sz1 = z0 - ext + 0.02, bz0
            if side > 0:
                cx_a, cx_b = x1 - bt - bct, x1 - bt + 0.02
            else:
                cx_a, cx_b = x0 + bt - 0.02, x0 + bt + bct
            n_side = int(np.clip(round((sz1 - sz0) / 0.7), 1, 3))
            width = (sz1 - sz0 - gap * (n_side - 1)) / n_side
            for i in range(n_side):
                a = sz0 + i * (width + gap)
                parts.append(bevel_box((cx_a, deck, a), (cx_b, cush_top, a + width), soft * 1.5))
    variant["seat_cushions"] = str(n_seat)

    if legs:
        lr = rng.uniform(0.015, 0.035)
        xs = [x0 + 0.06, x1 - 0.06] + ([0.0] if length > 2.0 else [])
        spots = [(x, z) for x in xs for z in (z0 + 0.06, z1 - 0.06)]
        if layout != "straight":
            spots.append(((lx0 + lx1) / 2 + side * (lw / 2 - 0.06), z0 - ext + 0.06))
        for x, z in spots:
            parts.append(cyl_y(x, z, 0.0, leg_h + 0.01, lr, lr * 0.7, seg=SEG_THIN))
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# bathtub
# --------------------------------------------------------------------------------------------


def _tub_outline(shape: str, a: float, b: float, rng: np.random.Generator) -> np.ndarray:
    """``(n, 2)`` tub outline in (x, z) with half-length ``a`` and half-width ``b``."""
    if shape == "oval":
        return superellipse(a, b, rng.uniform(2.0, 2.6), 40)
    if shape == "rounded":
        return superellipse(a, b, rng.uniform(3.5, 6.0), 40)
    return superellipse(a, b, 40.0, 40)  # a rectangle with barely rounded corners


def bathtub(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A bathtub: a hollow shell with a deep cavity open towards +Y.

    Styles: freestanding (flared shell on clawfeet, on a plinth or on the floor; plain or slipper
    ends), built-in (a box outside with the basin sunk into a deck, optional apron recess), and
    corner (a square box with a round or oval basin). Basin shapes: rectangular, rounded, oval.
    """
    style = _pick(rng, {"freestanding": 0.45, "builtin": 0.4, "corner": 0.15})
    shape = _pick(rng, {"rect": 0.35, "rounded": 0.35, "oval": 0.3})
    length = rng.uniform(1.4, 1.9)
    width = rng.uniform(0.65, 0.95)
    height = rng.uniform(0.42, 0.68)
    variant = {"style": style, "shape": shape}
    parts: list[Manifold] = []
    cutters: list[Manifold] = []

    if style == "freestanding":
        support = _pick(rng, {"feet": 0.45, "plinth": 0.25, "floor": 0.3})
        variant["support"] = support
        # Lift and floor are capped so that the basin stays deep (>~55 % of the height).
        lift = rng.uniform(0.08, 0.25) * height if support != "floor" else 0.0
        flare = rng.uniform(1.0, 1.18)
        wall = rng.uniform(0.025, 0.06)
        floor_t = rng.uniform(0.04, 0.08)
        a_top, b_top = length / 2, width / 2
        a_bot, b_bot = a_top / flare, b_top / flare * rng.uniform(0.9, 1.0)
        body_h = height - lift
        outline = _tub_outline(shape, a_bot, b_bot, rng)
        sx, sz = a_top / a_bot, b_top / b_bot
        shell = outline_extrude(outline, body_h, (sx, sz)).translate((0, lift, 0))
        parts.append(shell)
        if rng.random() < 0.5:  # a rolled rim
            rim = rng.uniform(0.015, 0.03)
            ring = outline * [sx, sz] + np.sign(outline) * rim
            parts.append(prism(ring, "xz", height - 2.5 * rim, height))
            variant["rim"] = "rolled"
        ia, ib = a_bot - wall, b_bot - wall
        inner = outline * [ia / a_bot, ib / b_bot]
        isx, isz = (a_top - wall) / ia, (b_top - wall) / ib
        cav_h = body_h - floor_t + 0.2
        cav_scale = (
            1 + (isx - 1) * cav_h / (body_h - floor_t),
            1 + (isz - 1) * cav_h / (body_h - floor_t),
        )
        cutters.append(
            outline_extrude(
                inner * [1 + (isx - 1) * floor_t / body_h, 1 + (isz - 1) * floor_t / body_h],
                cav_h,
                cav_scale,
            ).translate((0, lift + floor_t, 0))
        )
        if support == "feet":
            fr = rng.uniform(0.03, 0.05)
            for s1 in (-1, 1):
                for s2 in (-1, 1):
                    fx, fz = s1 * a_bot * 0.78, s2 * b_bot * 0.6
                    parts.append(
                        rod(
                            (fx * 1.08, 0.0, fz * 1.1),
                            (fx, lift + 0.04, fz),
                            fr,
                            SEG_THIN,
                            r1=fr * 1.4,
                        )
                    )
                    parts.append(cyl_y(fx * 1.08, fz * 1.1, 0, 0.02, fr * 1.3, seg=SEG_THIN))
        elif support == "plinth":
            parts.append(outline_extrude(outline * 0.8, lift + 0.02, (1.0, 1.0)))
        ends = _pick(rng, {"plain": 0.5, "slipper": 0.3, "double": 0.2})
        variant["ends"] = ends
        solid = subtract(union(parts), cutters)
        if ends != "plain":
            raise_by = rng.uniform(0.1, 0.25) * height
            y_from = lift + 0.5 * body_h

            def lift_ends(v: np.ndarray) -> np.ndarray:
                u = v[:, 0] / a_top
                bump = np.clip(u, 0, None) ** 2 if ends == "slipper" else u**4
                k = np.clip((v[:, 1] - y_from) / (height - y_from), 0, None)
                v[:, 1] += raise_by * bump * k
                return v

            solid = solid.warp_batch(lift_ends)
        return solid, variant

    # Built-in and corner: a box outside, the basin sunk into its top.
    if style == "corner":
        length = width = rng.uniform(1.1, 1.5)
        shape = "oval"
        variant["shape"] = "round"
    outer_round = rng.uniform(0.0, 0.06) if rng.random() < 0.4 else 0.0
    cs = rounded_rect(length, width, outer_round, 16) if outer_round else None
    if cs is not None:
        parts.append(prism(cs, "xz", 0.0, height))
    else:
        parts.append(box((-length / 2, 0, -width / 2), (length / 2, height, width / 2)))
    deck_side = rng.uniform(0.05, 0.16)
    deck_end = deck_side + rng.uniform(0.0, 0.2)
    floor_t = rng.uniform(0.05, 0.12)
    a = length / 2 - (deck_side + deck_end) / 2
    b = width / 2 - deck_side
    off = (deck_end - deck_side) / 2 * (1 if rng.random() < 0.5 else -1)
    if style == "corner":
        a = b = min(a, b)
        off = 0.0
    taper = rng.uniform(0.72, 0.95)
    outline = _tub_outline(shape, a * taper, b * taper, rng)
    depth = height - floor_t
    scale = 1 + (1 / taper - 1) * (depth + 0.1) / depth
    cutters.append(
        outline_extrude(outline, depth + 0.1, (scale, scale)).translate((off, floor_t, 0))
    )
    if rng.random() < 0.4:  # toe-kick recess at the bottom of the front apron
        kh, kd = rng.uniform(0.05, 0.1), rng.uniform(0.03, 0.07)
        cutters.append(box((-length, -0.1, -width / 2 - 0.1), (length, kh, -width / 2 + kd)))
        variant["apron"] = "toe-kick"
    if rng.random() < 0.5:  # a faucet on the deck at one end
        fx = off - (a + (deck_end if abs(off) > 0 else deck_side) / 2) * np.sign(off or 1)
        fx = float(np.clip(fx, -length / 2 + 0.04, length / 2 - 0.04))
        parts.append(cyl_y(fx, 0.0, height - 0.01, height + 0.12, 0.02, seg=SEG_THIN))
        parts.append(
            rod(
                (fx, height + 0.12, 0.0),
                (fx + 0.12 * np.sign(off or 1), height + 0.12, 0.0),
                0.015,
                SEG_THIN,
                extend=0.015,
            )
        )
        variant["faucet"] = "yes"
    return subtract(union(parts), cutters), variant


def outline_extrude(outline: np.ndarray, height: float, scale_top: tuple[float, float]) -> Manifold:
    """Extrude an (x, z) outline centred at the origin upwards (+Y) from y = 0 to ``height``,
    scaling it by ``scale_top`` (x, z) at the top (a flared tub or pot wall)."""
    # Draw in (x, -z) so that the extrusion's +Z becomes +Y after a -90 deg turn about X.
    pts = np.stack([outline[:, 0], -outline[:, 1]], axis=1)
    solid = polygon(pts).extrude(height, scale_top=scale_top)
    return solid.rotate((-90.0, 0.0, 0.0))


# --------------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------------


def table(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A table: a top on one of five bases.

    Tops: rectangular, rounded, round, oval. Bases: four legs (straight, tapered or splayed,
    optional apron, stretchers or lower shelf), pedestal (disc, cross or star foot; two pedestals
    for long tops), trestle (two end frames and a stretcher), panel ends (waterfall slabs), and a
    desk (a drawer box on one side). Heights: coffee, side, dining, bar.
    """
    base = _pick(
        rng, {"four_leg": 0.4, "pedestal": 0.2, "trestle": 0.15, "panel": 0.12, "desk": 0.13}
    )
    kind = _pick(rng, {"dining": 0.5, "coffee": 0.25, "side": 0.12, "bar": 0.13})
    if base in ("trestle", "panel", "desk"):
        top = _pick(rng, {"rect": 0.6, "rounded": 0.25, "oval": 0.15})
    else:
        top = _pick(rng, {"rect": 0.4, "rounded": 0.2, "round": 0.28, "oval": 0.12})
    if base == "desk":
        kind = "dining"
    h = {"dining": (0.68, 0.78), "coffee": (0.32, 0.48), "side": (0.48, 0.66), "bar": (0.9, 1.08)}[
        kind
    ]
    height = rng.uniform(*h)
    length = {"dining": (1.0, 2.2), "coffee": (0.8, 1.4), "side": (0.4, 0.7), "bar": (0.6, 1.6)}[
        kind
    ]
    L = rng.uniform(*length)
    D = L * rng.uniform(0.4, 0.75) if top != "round" else L
    if top == "round":
        L = D = min(L, rng.uniform(0.6, 1.4))
    tt = rng.uniform(0.02, 0.06)
    variant = {"base": base, "top": top, "height": kind}
    parts: list[Manifold] = []
    if top == "round":
        outline = superellipse(L / 2, D / 2, 2.0, 32)
    elif top == "oval":
        outline = superellipse(L / 2, D / 2, rng.uniform(2.0, 2.5), 32)
    elif top == "rounded":
        outline = superellipse(L / 2, D / 2, rng.uniform(4.0, 8.0), 32)
    else:
        outline = np.array([[-L / 2, -D / 2], [L / 2, -D / 2], [L / 2, D / 2], [-L / 2, D / 2]])
    parts.append(prism(outline, "xz", height - tt, height))
    under = height - tt + 0.005
    # The leg footprint: inset from the top's edge, shrunk for round tops.
    shrink = 0.7 if top in ("round", "oval") else 1.0
    ix = (L / 2 - rng.uniform(0.03, 0.15) * min(L, 1.0)) * shrink
    iz = (D / 2 - rng.uniform(0.03, 0.12) * min(D, 1.0)) * shrink
    if base == "four_leg":
        lt = rng.uniform(0.02, 0.05) * (1.3 if kind == "bar" else 1.0)
        round_legs = rng.random() < 0.45
        splay = rng.uniform(0.03, 0.08) if rng.random() < 0.3 else 0.0
        taper = rng.uniform(0.55, 1.0)
        three = top == "round" and rng.random() < 0.35
        variant["legs"] = ("3" if three else "4") + ("-splayed" if splay else "")
        if three:
            rr = min(ix, iz)
            corners = [
                (rr * math.cos(a), rr * math.sin(a))
                for a in (math.pi / 2, 7 * math.pi / 6, 11 * math.pi / 6)
            ]
        else:
            corners = [(-ix, -iz), (ix, -iz), (ix, iz), (-ix, iz)]
        feet = []
        for cx, cz in corners:
            n = math.hypot(cx, cz)
            foot = (cx + splay * cx / n, 0.0, cz + splay * cz / n)
            feet.append(foot)
            parts.append(
                rod(
                    foot,
                    (cx, under, cz),
                    lt,
                    SEG_THIN,
                    square=not round_legs,
                    r1=lt / taper if taper < 0.95 else None,
                )
            )
        extra = _pick(rng, {"none": 0.35, "apron": 0.3, "shelf": 0.15, "stretchers": 0.2})
        variant["extra"] = extra
        if extra == "apron" and not three:
            ah = rng.uniform(0.05, 0.12)
            parts.append(
                subtract(
                    box((-ix - lt, under - ah, -iz - lt), (ix + lt, under + 0.01, iz + lt)),
                    [box((-ix + lt, under - ah - 0.1, -iz + lt), (ix - lt, under + 0.2, iz - lt))],
                )
            )
        elif extra == "shelf":
            sy = rng.uniform(0.08, 0.3) * height
            pts = np.array([[c[0], c[1]] for c in corners]) * 1.0
            parts.append(prism(pts * (1 + lt / max(ix, iz)), "xz", sy, sy + tt * 0.8))
        elif extra == "stretchers":
            sy = rng.uniform(0.1, 0.3) * height
            k = 1 - sy / under
            pos = [
                (cx + (f[0] - cx) * k, sy, cz + (f[2] - cz) * k)
                for (cx, cz), f in zip(corners, feet, strict=True)
            ]
            for i in range(len(pos)):
                parts.append(
                    rod(pos[i], pos[(i + 1) % len(pos)], lt * 0.5, SEG_THIN, square=not round_legs)
                )
    elif base == "pedestal":
        foot = _pick(rng, {"disc": 0.4, "cross": 0.35, "star": 0.25})
        double = top not in ("round",) and L > 1.3 and rng.random() < 0.7
        xs = [-L * 0.28, L * 0.28] if double else [0.0]
        cr = rng.uniform(0.03, 0.09)
        fr = rng.uniform(0.18, 0.32) * (min(D, 1.0) / 0.8 if not double else 0.8)
        variant["foot"] = foot + ("-double" if double else "")
        for x in xs:
            shape = rng.random()
            if shape < 0.5:
                parts.append(cyl_y(x, 0, 0.02, under, cr, cr * rng.uniform(0.7, 1.3)))
            else:
                parts.append(box((x - cr, 0.02, -cr), (x + cr, under, cr)))
            parts.append(cyl_y(x, 0, under - 0.04, under, cr * 2.2, seg=SEG))
            if foot == "disc":
                parts.append(cyl_y(x, 0, 0, rng.uniform(0.02, 0.05), fr, fr * 0.85))
            else:
                n = 4 if foot == "cross" else int(rng.integers(3, 6))
                a0 = math.pi / 4 if foot == "cross" else 0.0
                for i in range(n):
                    a = a0 + 2 * math.pi * i / n
                    tip = (x + fr * math.cos(a), 0.015, fr * math.sin(a))
                    parts.append(rod((x, 0.08, 0), tip, 0.02, SEG_THIN, extend=0.02, square=True))
        if double:
            parts.append(box((xs[0], 0.1, -0.02), (xs[1], 0.15, 0.02)))
    elif base == "trestle":
        style = _pick(rng, {"board": 0.5, "x": 0.25, "frame": 0.25})
        variant["trestle"] = style
        xs = (-ix, ix)
        fw = D * rng.uniform(0.55, 0.85)
        for x in xs:
            if style == "board":
                bw = fw * rng.uniform(0.3, 0.6)
                parts.append(box((x - 0.03, 0.05, -bw / 2), (x + 0.03, under, bw / 2)))
                parts.append(box((x - 0.04, 0, -fw / 2), (x + 0.04, 0.06, fw / 2)))
                parts.append(box((x - 0.035, under - 0.05, -fw / 2), (x + 0.035, under, fw / 2)))
            elif style == "x":
                for s in (-1, 1):
                    parts.append(
                        rod(
                            (x, 0.0, s * fw / 2),
                            (x, under, -s * fw / 2),
                            0.025,
                            SEG_THIN,
                            square=True,
                        )
                    )
                parts.append(box((x - 0.03, under - 0.04, -fw / 2), (x + 0.03, under, fw / 2)))
            else:
                for s in (-1, 1):
                    parts.append(
                        box(
                            (x - 0.025, 0, s * fw / 2 - 0.025),
                            (x + 0.025, under, s * fw / 2 + 0.025),
                        )
                    )
                parts.append(box((x - 0.025, 0, -fw / 2), (x + 0.025, 0.05, fw / 2)))
        sy = rng.uniform(0.2, 0.5) * height
        parts.append(box((-ix, sy - 0.03, -0.025), (ix, sy + 0.03, 0.025)))
    elif base == "panel":
        pt = rng.uniform(0.025, 0.07)
        pd = D * rng.uniform(0.7, 1.0)
        variant["panels"] = "waterfall" if pd > 0.95 * D else "inset"
        x = L / 2 - (pt / 2 if pd > 0.95 * D else rng.uniform(0.05, 0.15))
        for s in (-1, 1):
            parts.append(box((s * x - pt / 2, 0, -pd / 2), (s * x + pt / 2, under, pd / 2)))
        if rng.random() < 0.5:
            parts.append(box((-x, under - 0.25, pd / 2 - pt), (x, under, pd / 2)))  # modesty panel
    else:  # desk: a drawer pedestal on one side, a panel or legs on the other
        s = 1 if rng.random() < 0.5 else -1
        pw = rng.uniform(0.35, 0.5)
        ped = box(
            (s * (L / 2 - 0.02) - (pw if s > 0 else 0), 0, -D / 2 + 0.02),
            (s * (L / 2 - 0.02) + (0 if s > 0 else pw), under, D / 2 - 0.02),
        )
        n = int(rng.integers(2, 5))
        grooves = []
        px0 = s * (L / 2 - 0.02) - (pw if s > 0 else 0)
        for i in range(1, n):
            y = under * i / n
            grooves.append(
                box((px0 + 0.02, y - 0.006, -D / 2), (px0 + pw - 0.02, y + 0.006, -D / 2 + 0.03))
            )
        parts.append(subtract(ped, grooves))
        x = -s * (L / 2 - 0.03)
        parts.append(box((x - 0.025, 0, -D / 2 + 0.02), (x + 0.025, under, D / 2 - 0.02)))
        variant["drawers"] = str(n)
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------------------------


def bench(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A bench: a long, shallow seat (length 2.5-5x its depth).

    Variants: park bench (slatted seat, slatted back, side frames, optional arms), flat bench
    (solid or slatted seat on slab ends, four legs or A-frames), and a backless bench with a
    lower shelf.
    """
    style = _pick(rng, {"park": 0.4, "flat": 0.4, "shelf": 0.2})
    L = rng.uniform(1.1, 2.0)
    D = L / rng.uniform(2.6, 5.0)
    h = rng.uniform(0.4, 0.5)
    st = rng.uniform(0.03, 0.07)
    slatted = style == "park" or rng.random() < 0.35
    legs = _pick(rng, {"slab": 0.4, "legs": 0.35, "aframe": 0.25})
    variant = {"style": style, "seat": "slats" if slatted else "solid", "legs": legs}
    parts: list[Manifold] = []
    if slatted:
        n = int(rng.integers(3, 7))
        g = D * rng.uniform(0.04, 0.12)
        w = (D - g * (n - 1)) / n
        for i in range(n):
            z = -D / 2 + i * (w + g)
            parts.append(box((-L / 2, h - st, z), (L / 2, h, z + w)))
        parts.append(
            box((-L / 2 + 0.05, h - st - 0.04, -D / 2), (-L / 2 + 0.1, h - st + 0.005, D / 2))
        )
        parts.append(
            box((L / 2 - 0.1, h - st - 0.04, -D / 2), (L / 2 - 0.05, h - st + 0.005, D / 2))
        )
    else:
        parts.append(box((-L / 2, h - st, -D / 2), (L / 2, h, D / 2)))
    under = h - st + 0.005
    xi = L / 2 - rng.uniform(0.03, 0.2)
    for s in (-1, 1):
        x = s * xi
        if legs == "slab":
            parts.append(box((x - 0.03, 0, -D / 2 + 0.02), (x + 0.03, under, D / 2 - 0.02)))
        elif legs == "legs":
            for z in (-D / 2 + 0.04, D / 2 - 0.04):
                parts.append(cyl_y(x, z, 0, under, 0.025, seg=SEG_THIN))
        else:
            for z in (-D / 2, D / 2):
                parts.append(rod((x, 0, z), (x, under, z * 0.3), 0.025, SEG_THIN, square=True))
    if style == "shelf":
        parts.append(box((-xi, 0.1, -D / 2 + 0.03), (xi, 0.13, D / 2 - 0.03)))
    if style == "park":
        bh = rng.uniform(0.3, 0.5)
        tilt = rng.uniform(8.0, 20.0)
        n = int(rng.integers(2, 5))
        back = [
            box((-L / 2, 0.05 + i * bh / n, 0), (L / 2, 0.05 + i * bh / n + bh / n * 0.6, 0.03))
            for i in range(n)
        ]
        for s in (-1, 1):
            back.append(box((s * xi - 0.03, -0.05, 0.0), (s * xi + 0.03, bh, 0.05)))
        parts.append(union(back).rotate((tilt, 0, 0)).translate((0, h - 0.02, D / 2)))
        if rng.random() < 0.6:
            ah = h + rng.uniform(0.18, 0.26)
            for s in (-1, 1):
                parts.append(
                    box(
                        (s * xi - 0.03, ah - 0.04, -D / 2 - 0.03), (s * xi + 0.03, ah, D / 2 + 0.03)
                    )
                )
                parts.append(
                    box(
                        (s * xi - 0.025, h - st, -D / 2 - 0.02), (s * xi + 0.025, ah, -D / 2 + 0.03)
                    )
                )
            variant["arms"] = "yes"
    return union(parts), variant


# --------------------------------------------------------------------------------------------
# cabinet
# --------------------------------------------------------------------------------------------


def cabinet(rng: np.random.Generator) -> tuple[Manifold, Variant]:
    """A cabinet: a box with door and drawer grooves and handles on its front (-Z) face.

    Forms: wardrobe (tall, 2-3 doors), sideboard (low and long, doors and drawers), chest of
    drawers, filing cabinet (narrow, deep, drawers only), open shelf unit (hollow bays). Optional
    plinth, legs and a top overhang.
    """
    form = _pick(
        rng, {"wardrobe": 0.25, "sideboard": 0.25, "drawers": 0.2, "filing": 0.12, "shelves": 0.18}
    )
    dims = {
        "wardrobe": ((0.8, 1.6), (1.7, 2.2), (0.5, 0.65)),
        "sideboard": ((1.2, 2.0), (0.6, 0.9), (0.4, 0.55)),
        "drawers": ((0.6, 1.2), (0.7, 1.3), (0.4, 0.55)),
        "filing": ((0.38, 0.5), (0.7, 1.4), (0.55, 0.75)),
        "shelves": ((0.6, 1.4), (0.8, 2.0), (0.3, 0.45)),
    }[form]
    W, H, D = (rng.uniform(*r) for r in dims)
    variant = {"form": form}
    feet = _pick(rng, {"none": 0.4, "plinth": 0.35, "legs": 0.25})
    variant["feet"] = feet
    y0 = 0.0 if feet == "none" else rng.uniform(0.05, 0.15)
    parts: list[Manifold] = []
    cutters: list[Manifold] = []
    body = box((-W / 2, y0, -D / 2), (W / 2, H, D / 2))
    parts.append(body)
    if feet == "plinth":
        parts.append(
            box((-W / 2 + 0.03, 0, -D / 2 + 0.05), (W / 2 - 0.03, y0 + 0.01, D / 2 - 0.03))
        )
    elif feet == "legs":
        for sx in (-1, 1):
            for sz in (-1, 1):
                parts.append(
                    cyl_y(
                        sx * (W / 2 - 0.04), sz * (D / 2 - 0.04), 0, y0 + 0.01, 0.02, seg=SEG_THIN
                    )
                )
    if rng.random() < 0.4:
        o = rng.uniform(0.01, 0.04)
        parts.append(box((-W / 2 - o, H - 0.01, -D / 2 - o), (W / 2 + o, H + 0.03, D / 2 + 0.005)))
    g, gd = 0.008, 0.02  # groove width and depth
    front = -D / 2
    fm = 0.02  # frame margin

    def hgroove(y: float, xa: float, xb: float) -> None:
        cutters.append(box((xa, y - g / 2, front - 0.01), (xb, y + g / 2, front + gd)))

    def vgroove(x: float, ya: float, yb: float) -> None:
        cutters.append(box((x - g / 2, ya, front - 0.01), (x + g / 2, yb, front + gd)))

    def knob(x: float, y: float, bar: bool) -> None:
        if bar:
            parts.append(
                box((x - 0.01, y - 0.08, front - 0.03), (x + 0.01, y + 0.08, front + 0.01))
            )
        else:
            parts.append(cyl_z(x, y, front - 0.025, front + 0.01, 0.015, seg=SEG_THIN))

    bars = rng.random() < 0.5
    if form == "shelves":
        n = int(rng.integers(2, 6))
        cols = int(rng.integers(1, 3))
        t = rng.uniform(0.02, 0.04)
        bay_h = (H - y0 - t) / n
        bay_w = (W - t) / cols
        for i in range(n):
            for j in range(cols):
                cutters.append(
                    box(
                        (-W / 2 + t + j * bay_w, y0 + t + i * bay_h, front - 0.01),
                        (-W / 2 + (j + 1) * bay_w, y0 + (i + 1) * bay_h, D / 2 - t),
                    )
                )
        variant["bays"] = f"{n}x{cols}"
    else:
        n_draw = {
            "wardrobe": int(rng.integers(0, 2)),
            "sideboard": int(rng.integers(0, 2)),
            "drawers": int(rng.integers(3, 7)),
            "filing": int(rng.integers(2, 5)),
        }[form]
        n_door = {
            "wardrobe": int(rng.integers(2, 4)),
            "sideboard": int(rng.integers(2, 5)),
            "drawers": 0,
            "filing": 0,
        }[form]
        draw_h = (H - y0) * (1.0 if n_door == 0 else rng.uniform(0.12, 0.25))
        ytop = H - fm
        for _ in range(n_draw):
            yb = ytop - draw_h / max(n_draw, 1) if n_door else ytop - (H - y0 - 2 * fm) / n_draw
            hgroove(yb, -W / 2 + fm, W / 2 - fm)
            knob(0.0, (yb + ytop) / 2, False)
            if form == "drawers" and rng.random() < 0.3:
                knob(-W / 4, (yb + ytop) / 2, False)
                knob(W / 4, (yb + ytop) / 2, False)
            ytop = yb
        if n_door:
            for k in range(n_door + 1):
                vgroove(-W / 2 + fm + k * (W - 2 * fm) / n_door, y0 + fm, ytop)
            hgroove(y0 + fm, -W / 2 + fm, W / 2 - fm)
            hgroove(ytop, -W / 2 + fm, W / 2 - fm)
            for k in range(n_door):
                x = -W / 2 + fm + (k + 0.5) * (W - 2 * fm) / n_door
                off = (W - 2 * fm) / n_door * 0.35 * (1 if k % 2 == 0 else -1)
                knob(x + off, y0 + (ytop - y0) * 0.55, bars)
        variant["doors"] = str(n_door)
        variant["drawers"] = str(n_draw)
    return subtract(union(parts), cutters), variant
