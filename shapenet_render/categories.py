"""The 21 largest ShapeNet classes: canonical names, synset ids, model counts and aliases.

Every command accepts a category by canonical name, by alias (plural forms, the paper's names such as
"couches" and "tubs") or by ShapeNet synset id; :func:`resolve_category` maps all of them to the
canonical name used in file names and dataset attributes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One ShapeNet class."""

    name: str
    """Canonical name (singular, ShapeNet's taxonomy word), e.g. ``"chair"``."""
    synset: str
    """ShapeNet synset id, e.g. ``"03001627"``."""
    count: int
    """Number of models in ShapeNetCore; the procedural source has exactly this many."""
    aliases: tuple[str, ...] = ()
    """Other accepted names (lower case)."""


#: The 21 largest ShapeNet classes, largest first (ShapeNetCore model counts).
CATEGORIES: tuple[Category, ...] = (
    Category("table", "04379243", 8436, ("tables",)),
    Category("chair", "03001627", 6778, ("chairs",)),
    Category("airplane", "02691156", 4045, ("airplanes", "plane", "planes", "aeroplane")),
    Category("car", "02958343", 3514, ("cars",)),
    Category("sofa", "04256520", 3173, ("sofas", "couch", "couches")),
    Category("rifle", "04090263", 2373, ("rifles",)),
    Category("lamp", "03636649", 2318, ("lamps",)),
    Category("watercraft", "04530566", 1939, ("vessel", "vessels", "boat", "boats")),
    Category("bench", "02828884", 1813, ("benches",)),
    Category("loudspeaker", "03691459", 1597, ("loudspeakers", "speaker", "speakers")),
    Category("cabinet", "02933112", 1571, ("cabinets",)),
    Category("display", "03211117", 1093, ("displays", "monitor", "monitors")),
    Category("telephone", "04401088", 1089, ("telephones", "phone", "phones")),
    Category("bus", "02924116", 939, ("buses", "busses")),
    Category("bathtub", "02808440", 856, ("bathtubs", "tub", "tubs")),
    Category("cellphone", "02992529", 831, ("cellphones", "mobile")),
    Category("guitar", "03467517", 797, ("guitars",)),
    Category("faucet", "03325088", 744, ("faucets", "tap", "taps")),
    Category("clock", "03046257", 651, ("clocks",)),
    Category("flowerpot", "03991062", 602, ("flowerpots", "pot", "pots")),
    Category("jar", "03593526", 596, ("jars", "vase", "vases")),
)

CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)

_LOOKUP: dict[str, Category] = {}
for _c in CATEGORIES:
    for _key in (_c.name, _c.synset, *_c.aliases):
        _LOOKUP[_key] = _c


class UnknownCategoryError(ValueError):
    """A category name or synset id that no registry entry matches."""


def resolve_category(name: str) -> str:
    """Canonical category name for a name, alias or synset id (case-insensitive).

    ``"cubes"`` (random boxes for renderer pre-training) is accepted as itself.
    """
    key = name.strip().lower()
    if key in ("cube", "cubes"):
        return "cubes"
    if key not in _LOOKUP:
        raise UnknownCategoryError(
            f"unknown category {name!r}; use one of: {', '.join(CATEGORY_NAMES)} "
            "(plural forms and ShapeNet synset ids work too), or 'cubes'"
        )
    return _LOOKUP[key].name


def get_category(name: str) -> Category:
    """The :class:`Category` for a name, alias or synset id."""
    return _LOOKUP[resolve_category(name)]
