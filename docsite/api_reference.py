"""The HTTP API reference, rendered from the OpenAPI document of the running app's factory."""

import tempfile
from pathlib import Path
from typing import Any

from encore import errors
from encore.api import problems

Schema = dict[str, Any]
METHODS = ("get", "post", "put", "patch", "delete")


def openapi_document() -> Schema:
    """The OpenAPI document `encore serve` publishes at /openapi.json, from an app built on a
    throwaway data directory (nothing is served, nothing is kept)."""
    from encore.api.app import create_app
    from encore.bootstrap import bootstrap
    from encore.config import load_settings

    with tempfile.TemporaryDirectory(prefix="encore-docs-") as data:
        services = bootstrap(load_settings(data_dir=Path(data), recommend_check_s=0))
        try:
            return create_app(services).openapi()
        finally:
            services.close()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def schema_anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def type_text(schema: Schema) -> str:
    """A schema in a few words, named schemas linked to their section."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{schema_anchor(name)})"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            parts = [type_text(part) for part in schema[combinator]]
            return " or ".join(dict.fromkeys(parts))
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_text(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        values = schema["additionalProperties"]
        if isinstance(values, dict):
            return f"object of {type_text(values)}"
    if kind == "null":
        return "null"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def limits_text(schema: Schema) -> str:
    words = []
    for key, word in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
    ):
        if key in schema:
            words.append(f"{word} {schema[key]}")
    if "pattern" in schema:
        words.append(f"matches `{schema['pattern']}`")
    if "default" in schema:
        words.append(f"default `{schema['default']}`")
    return ", ".join(words)


def _operation(path: str, method: str, operation: Schema) -> list[str]:
    anchor = operation["operationId"].replace("_", "-")
    lines = [f"### `{method.upper()} {path}` {{#{anchor}}}", ""]
    lines += [f"**{operation.get('summary', '')}**", ""]
    if operation.get("description"):
        lines += [" ".join(operation["description"].split()), ""]
    signed_in = bool(operation.get("security"))
    lines += ["Needs a bearer token." if signed_in else "No sign-in needed.", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| Parameter | In | Type | Required | Limits | Description |"]
        lines += ["|---|---|---|---|---|---|"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | {type_text(schema)} | "
                f"{'yes' if parameter.get('required') else 'no'} | {limits_text(schema)} | "
                f"{_cell(parameter.get('description', schema.get('description', '')))} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            required = "required" if body.get("required") else "optional"
            lines += [f"Body ({required}): `{media}`, {type_text(content.get('schema', {}))}", ""]
    lines += ["| Status | Meaning | Body |", "|---|---|---|"]
    for status, response in operation.get("responses", {}).items():
        contents = response.get("content", {})
        body_text = "; ".join(
            f"`{media}`" + (f" {type_text(c['schema'])}" if c.get("schema") else "")
            for media, c in contents.items()
        )
        if status == "default":
            body_text = "`application/problem+json` [Problem](#problem-types)"
        lines.append(f"| {status} | {_cell(response.get('description', ''))} | {body_text} |")
    lines.append("")
    return lines


def _schema(name: str, schema: Schema) -> list[str]:
    lines = [f"### {name} {{#{schema_anchor(name)}}}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    if "enum" in schema:
        lines += ["One of " + ", ".join(f"`{value}`" for value in schema["enum"]) + ".", ""]
        return lines
    properties = schema.get("properties", {})
    if not properties:
        lines += [f"{type_text(schema)}.", ""]
        return lines
    required = set(schema.get("required", []))
    lines += ["| Field | Type | Required | Limits | Description |", "|---|---|---|---|---|"]
    for field, spec in properties.items():
        lines.append(
            f"| `{field}` | {type_text(spec)} | {'yes' if field in required else 'no'} | "
            f"{limits_text(spec)} | {_cell(spec.get('description', ''))} |"
        )
    lines.append("")
    return lines


def _problem_types() -> list[str]:
    """Every problem type a domain error becomes, with its HTTP status."""
    lines = ["| Type | Status | Title |", "|---|---|---|"]
    seen: list[type[errors.EncoreError]] = []
    pending = list(errors.EncoreError.__subclasses__())
    while pending:
        error = pending.pop(0)
        seen.append(error)
        pending += error.__subclasses__()
    for error in sorted(seen, key=lambda e: (problems.status_for(e), e.kind)):
        status = problems.status_for(error)
        lines.append(f"| `/problems/{error.kind}` | {status} | {error.title} |")
    return [*lines, ""]


def render(document: Schema | None = None) -> str:
    """Operations grouped by tag, then the problem types, then every named schema."""
    document = document or openapi_document()
    by_tag: dict[str, list[tuple[str, str, Schema]]] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((path, method, operation))
    count = sum(len(operations) for operations in by_tag.values())
    lines = [
        f"{document['info']['title']} {document['info']['version']}: "
        f"{count} operations on {len(document['paths'])} paths.",
        "",
    ]
    for tag in sorted(by_tag):
        lines += [f"## {tag.capitalize()}", ""]
        for path, method, operation in by_tag[tag]:
            lines += _operation(path, method, operation)
    lines += ["## Problem types {#problem-types}", ""]
    lines += [
        "Every failure is answered as `application/problem+json` (RFC 9457): `type`, `title`, "
        "`status`, usually `detail` and `instance`, and for some problems more members. "
        "The domain's problems:",
        "",
        *_problem_types(),
    ]
    lines += ["## Schemas", ""]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += _schema(name, schema)
    return "\n".join(lines) + "\n"
