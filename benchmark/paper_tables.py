"""The paper's Tables 1-3 as data: their rows, columns and labels, and the paper's own numbers
(Lunz et al. 2020), keyed like our cells, to print beside ours."""

from __future__ import annotations

TABLES = ("table1", "table2", "table3")

#: Table 1's rows, in the paper's order: method -> row label.
METHOD_ROWS: dict[str, str] = {
    "dcgan": "2D-DCGAN",
    "visual-hull": "Visual Hull",
    "absorption-only": "Absorption Only",
    "iggan": "IG-GAN (ours)",
}

#: Dataset mode -> Table 1's column-group label.
MODE_LABELS: dict[str, str] = {
    "500": "500",
    "one-per-model": "One per model",
    "unlimited": "Unlimited",
    "lvp": "LVP",
}

#: Category -> the paper's column label.
CATEGORY_LABELS: dict[str, str] = {"bathtub": "Tubs", "sofa": "Couches", "chair": "Chairs"}

#: The image formation each method trains on (the dataset's renderer); FID always compares OpenGL
#: renders of the samples with the OpenGL dataset.
#: Methods that make volumes: their cells also get 3D metrics (``<table>-3d`` files).
THREE_D_METHODS = ("visual-hull", "absorption-only", "iggan")

METHOD_RENDERER: dict[str, str] = {
    "dcgan": "opengl",
    "visual-hull": "visual-hull",
    "absorption-only": "absorption-only",
    "iggan": "opengl",
}

# --------------------------------------------------------------------------------------------------
# The paper's numbers (Lunz et al. 2020), keyed like our cells: (row, column) -> value(s)
# --------------------------------------------------------------------------------------------------

_T1_COLUMNS = [
    (mode, cat)
    for mode in ("500", "one-per-model", "unlimited")
    for cat in ("bathtub", "sofa", "chair")
] + [("lvp", "chair")]
_T1_VALUES = {
    "dcgan": [737.7, 540.5, 672.8, 461.8, 354.3, 362.3, 226.7, 210.9, 133.2, 237.9],
    "visual-hull": [305.8, 279.3, 183.4, 184.6, 106.2, 37.1, 90.1, 35.1, 15.7, 34.5],
    "absorption-only": [336.9, 282.9, 218.2, 275.8, 78.0, 32.8, 104.5, 25.5, 23.8, 38.6],
    "iggan": [187.8, 114.1, 119.9, 67.5, 35.8, 20.7, 44.0, 17.8, 13.6, 20.6],
}

#: table -> {(row label, column label): tuple of values (Table 2 holds chairs/couches pairs)}.
PAPER: dict[str, dict[tuple[str, str], tuple[float, ...]]] = {
    "table1": {
        (METHOD_ROWS[m], f"{MODE_LABELS[mode]} {CATEGORY_LABELS[cat]}"): (v,)
        for m, values in _T1_VALUES.items()
        for (mode, cat), v in zip(_T1_COLUMNS, values, strict=True)
    },
    "table2": {
        ("Retrained", "OpenGL"): (86.4, 180.1),
        ("Retrained", "RenderNet"): (74.7, 144.8),
        ("Fixed", "OpenGL"): (113.7, 323.5),
        ("Fixed", "RenderNet"): (103.9, 124.6),
        ("Retrained + DOM (IG-GAN)", "OpenGL"): (20.7, 35.8),
    },
    "table3": {
        ("Ours", "Chairs"): (22.6,),
        ("Ours", "Tables"): (20.7,),
        ("Ours", "Random"): (20.4,),
        ("Fixed", "Chairs"): (37.8,),
        ("Fixed", "Tables"): (105.8,),
        ("Fixed", "Random"): (141.9,),
    },
}

PAPER_NOTES: dict[str, str] = {
    "table1": "Lunz et al. 2020, Table 1: FID on ShapeNet renders with their Inception retrained on "
    "21 ShapeNet classes. LVP 2D-DCGAN: trained on LVP images, evaluated over 360 degrees.",
    "table2": "Lunz et al. 2020, Table 2: no DOM, one-per-model chairs/couches; the last row is "
    "from the caption (their full model).",
    "table3": "Lunz et al. 2020, Table 3: one-per-model chairs; renderer pre-trained on chairs, "
    "tables or random cubes; retrained with DOM (ours) or fixed.",
}

#: Headings of our two FID blocks. The paper names no evaluation threshold, so both are reported.
THRESHOLD_LABELS: dict[str, str] = {
    "common": "FID at threshold 0.5 (common to every method; the paper names no evaluation "
    "threshold)",
    "own": "FID at each method's own threshold (chosen without real images: the t whose "
    "data-side image of [x > t] is closest to what the method was trained to produce from x; "
    "2D-DCGAN: its images, as above)",
}

TITLES: dict[str, str] = {
    "table1": "Table 1 - FID by dataset and method (lower is better)",
    "table2": "Table 2 - DOM ablation: FID without DOM, chairs/couches, one per model",
    "table3": "Table 3 - renderer pre-training: FID on one-per-model chairs",
}


class TableError(ValueError):
    """A bad table request (unknown cell, category, dataset or method)."""
