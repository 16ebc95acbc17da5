"""The one config machinery shared by every job's config: training (:class:`iggan.config.TrainConfig`),
renderer pre-training (:class:`iggan.config.PretrainConfig`), the classifier
(:class:`benchmark.metrics.classifier.ClassifierConfig`) and single-shape recovery
(:class:`benchmark.experiments.recover.RecoverConfig`).

A config is a dataclass deriving :class:`Config`. It validates itself when made (``validate``,
written with :meth:`Config.need`, raising the config's own ``error`` class), serialises to and from
plain dicts and JSON (unknown keys are an error: a config from a newer igbench), takes overrides
from CLI options (:meth:`Config.with_overrides`: unset options are None and leave the value) and
from ``--set FIELD=VALUE`` texts through the one string-to-value parser
(:meth:`Config.parse_settings`), and documents its fields from their docstrings
(:meth:`Config.field_docs`, which the CLI turns into option help).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import textwrap
import typing
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar


class Config:
    """Base of the dataclass configs; see the module docstring."""

    #: The exception a bad value, field or text raises (a ValueError subclass per config).
    error: ClassVar[type[Exception]] = ValueError
    #: Saved fields an older igbench wrote that this one drops on load (see :meth:`from_dict`).
    legacy_fields: ClassVar[Mapping[str, Any]] = {}

    def __post_init__(self) -> None:
        self.validate()

    # -- validation ---------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise :attr:`error` naming the first field with an impossible value (subclasses)."""

    def need(self, ok: bool, name: str, msg: str) -> None:
        """Raise :attr:`error` ``"<name>: <msg> (got <value>)"`` unless ``ok``."""
        if not ok:
            got = getattr(self, name, None)
            raise self.error(f"{name}: {msg} (got {got!r})")

    # -- fields ---------------------------------------------------------------------------------------
    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """Field name -> its resolved type annotation."""
        return typing.get_type_hints(cls)

    @classmethod
    def field_docs(cls) -> dict[str, str]:
        """Each field's docstring (the string literal under it in the class body), for help texts."""
        docs: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            if not dataclasses.is_dataclass(klass):
                continue
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
            body = tree.body[0].body  # type: ignore[attr-defined]
            for node, nxt in zip(body, body[1:], strict=False):
                if (
                    isinstance(node, ast.AnnAssign)
                    and isinstance(node.target, ast.Name)
                    and isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)
                ):
                    docs[node.target.id] = " ".join(nxt.value.value.split())
        return docs

    # -- serialisation --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):
        """Inverse of :meth:`to_dict`: JSON lists back to tuples where the field is a tuple;
        unknown keys are an error, except :attr:`legacy_fields` (see :meth:`_drop_legacy`)."""
        data = cls._drop_legacy(dict(data))
        _check_names(cls, data)
        types = cls.field_types()
        return cls(**{k: _as_type(types[k], v) for k, v in data.items()})

    @classmethod
    def _drop_legacy(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Saved fields this version no longer has: each in :attr:`legacy_fields` is dropped when
        it holds the value given there (the value that meant "off"; ``...`` for any value), and
        refused otherwise, since this version cannot reproduce it."""
        names = set(cls.field_names())
        for name, off in cls.legacy_fields.items():
            if name in data and name not in names:
                if off is not ... and data[name] != off:
                    raise cls.error(
                        f"{name}={data[name]!r}: a setting this version of igbench no longer has "
                        f"(removed: it did not help); only {off!r} loads"
                    )
                del data[name]
        return data

    # -- overrides ------------------------------------------------------------------------------------
    def replace(self, **changes):
        """A copy with the given fields replaced (None is a value here); unknown fields are an
        error."""
        _check_names(type(self), changes)
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def with_overrides(self, **overrides):
        """A copy with the given fields replaced; None values are ignored (unset CLI options)."""
        return self.replace(**{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def parse_value(cls, name: str, text: str) -> Any:
        """The one string -> value parser: ``text`` read as field ``name``'s type (``none`` for
        an optional field; true/false/1/0 for booleans; comma-separated items for tuples)."""
        types = cls.field_types()
        if name not in types:
            raise cls.error(f"{cls.__name__} has no field {name!r}")
        try:
            return _parse(types[name], text.strip())
        except ValueError as exc:
            raise cls.error(f"{name} is {type_name(types[name])}: {exc}") from None

    @classmethod
    def parse_settings(cls, texts: Iterable[str]) -> tuple[tuple[str, Any], ...]:
        """``("FIELD=VALUE", ...)`` (``--set``; dashes in FIELD read as underscores) as
        ``((field, value), ...)``."""
        out = []
        for text in texts:
            name, sep, raw = text.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or not name:
                raise cls.error(f"--set {text!r}: expected FIELD=VALUE, e.g. lr_r=5e-5")
            try:
                out.append((name, cls.parse_value(name, raw)))
            except cls.error as exc:
                raise cls.error(f"--set {text!r}: {exc}") from None
        return tuple(out)


def _check_names(cls: type[Config], names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(cls.field_names()))
    if unknown:
        raise cls.error(f"unknown {cls.__name__} fields: {', '.join(unknown)}")


def _optional(tp: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    args = typing.get_args(tp)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True  # noqa: UP007
    return tp, False


def type_name(tp: Any) -> str:
    """``int``, ``float | None``, ``tuple[str, ...]``: a field type as help and errors show it."""
    base, optional = _optional(tp)
    name = getattr(base, "__name__", str(base))
    return f"{name} | None" if optional else name


def _parse(tp: Any, text: str) -> Any:
    base, optional = _optional(tp)
    if optional and text.lower() == "none":
        return None
    if base is bool:
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError("expected true or false")
        return text.lower() in ("true", "1")
    if base in (int, float, str):
        return base(text)
    if typing.get_origin(base) is tuple:
        args = typing.get_args(base)
        item = args[0] if args else str
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return tuple(_parse(item, p) for p in parts)
        if len(parts) != len(args):
            raise ValueError(f"expected {len(args)} comma-separated values")
        return tuple(_parse(a, p) for a, p in zip(args, parts, strict=True))
    raise ValueError("this field cannot be set from text")


def _as_type(tp: Any, value: Any) -> Any:
    """JSON's lists back to the tuples a field holds (recursively); other values as they are."""
    base, _ = _optional(tp)
    if isinstance(value, list) and typing.get_origin(base) is tuple:
        args = typing.get_args(base)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_as_type(args[0], v) for v in value)
        if args and len(args) == len(value):
            return tuple(_as_type(a, v) for a, v in zip(args, value, strict=True))
        return tuple(value)
    return value
