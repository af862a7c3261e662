"""The configuration reference, rendered from `encore.config.Settings` itself."""

import types
import typing
from pathlib import Path
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from encore.config import Settings


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable that sets a field (its alias, else ENCORE_ + its name)."""
    return field.alias or f"ENCORE_{name.upper()}"


def type_text(annotation: Any) -> str:
    """A person's name for a field's type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_text(typing.get_args(annotation)[0])
    if origin in (types.UnionType, typing.Union):
        present = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return " or ".join(type_text(arg) for arg in present) + " (optional)"
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"comma-separated list of {type_text(item)}s"
    if origin is dict:
        return "JSON object"
    names = {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean (`true`/`false`)",
        Path: "path",
        SecretStr: "secret",
    }
    if annotation in names:
        return names[annotation]
    raise TypeError(f"no documentation name for the settings type {annotation!r}")


def default_text(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if value is None or value in ([], {}):
        return "(none)"
    if isinstance(value, Path):
        return f"`{value if value.is_absolute() else Path('.') / value}`".replace(
            "`var`", "`./var`"
        )
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int) and value >= 10_000:
        return f"`{value}` ({value:,})"
    return f"`{value}`"


def limits_text(field: FieldInfo) -> str:
    words = []
    for limit in field.metadata:
        if isinstance(limit, Ge):
            words.append(f"≥ {limit.ge}")
        elif isinstance(limit, Gt):
            words.append(f"> {limit.gt}")
        elif isinstance(limit, Le):
            words.append(f"≤ {limit.le}")
        elif isinstance(limit, Lt):
            words.append(f"< {limit.lt}")
        elif getattr(limit, "pattern", None):
            words.append(f"matches `{limit.pattern}`")
    return ", ".join(words)


def undescribed() -> list[str]:
    """Settings without a description: each must have one (a test says so)."""
    return [name for name, field in Settings.model_fields.items() if not field.description]


def render() -> str:
    """One section per setting: environment variable, TOML key, type, default, limits, what."""
    lines = [
        "| Environment variable | `encore.toml` key | Type | Default | Limits | What it sets |",
        "|---|---|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        toml_key = "(`--data` / environment only)" if field.alias else f"`{name}`"
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        row = [
            f"`{env_name(name, field)}`",
            toml_key,
            type_text(field.annotation),
            default_text(field),
            limits_text(field),
            description,
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
