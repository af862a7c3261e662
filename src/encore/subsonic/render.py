"""Writing a Subsonic answer: XML (the default), JSON (`f=json`) or JSONP (`f=jsonp`).

The JSON form follows what Subsonic servers emit: the envelope is `{"subsonic-response": ...}`,
attributes are members with their JSON types, repeatable children are arrays (left out when
empty, as the reference server does), single children objects, element text is `value`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from encore.subsonic.protocol import (
    API_VERSION,
    SERVER_TYPE,
    ErrorCode,
    Node,
    Scalar,
    SubsonicError,
)

XMLNS = "http://subsonic.org/restapi"
XML = "text/xml; charset=utf-8"
JSON = "application/json"
JAVASCRIPT = "application/javascript"
# A JSONP callback is a (dotted) JavaScript identifier and nothing else: it is written into a
# script the client runs, so anything more would let a link inject code into it.
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,3}")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # 'xml', 'json' or 'jsonp'
    callback: str | None = None


def response_format(f: str | None, callback: str | None) -> Format:
    """The format asked for; raises (answered in JSON) for a JSONP call without a safe callback."""
    if f is None or f == "" or f == "xml":
        return Format("xml")
    if f == "json":
        return Format("json")
    if f == "jsonp":
        if not callback:
            raise SubsonicError(
                ErrorCode.MISSING_PARAMETER, "Required parameter 'callback' is missing"
            )
        if not _CALLBACK.fullmatch(callback):
            raise SubsonicError(
                ErrorCode.GENERIC, "Parameter 'callback' must be a JavaScript identifier"
            )
        return Format("jsonp", callback)
    return Format("xml")  # unknown formats: the default, as the reference server does


def ok(body: Node | list[Node] | None, fmt: Format, server_version: str) -> tuple[bytes, str]:
    """A success; a list is a repeated element directly in the envelope (as the OpenSubsonic
    extensions are)."""
    if body is None:
        return _envelope("ok", [], fmt, server_version)
    if isinstance(body, list):
        return _envelope("ok", [(body[0].name if body else "", body)], fmt, server_version)
    return _envelope("ok", [(body.name, body)], fmt, server_version)


def failed(error: SubsonicError, fmt: Format, server_version: str) -> tuple[bytes, str]:
    detail: dict[str, Scalar] = {"code": int(error.code), "message": error.message}
    if error.help_url:
        detail["helpUrl"] = error.help_url
    return _envelope("failed", [("error", Node("error", detail))], fmt, server_version)


def _envelope(
    status: str, children: list[tuple[str, Node | list[Node]]], fmt: Format, server_version: str
) -> tuple[bytes, str]:
    root = Node(
        "subsonic-response",
        {
            "status": status,
            "version": API_VERSION,
            "type": SERVER_TYPE,
            "serverVersion": server_version,
            "openSubsonic": True,
        },
        list(children),
    )
    if fmt.name == "xml":
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
        _xml(root, parts.append, root=True)
        return "".join(parts).encode(), XML
    document = orjson.dumps({"subsonic-response": _json(root)})
    if fmt.name == "json":
        return document, JSON
    return b"%s(%s);" % (fmt.callback.encode() if fmt.callback else b"", document), JAVASCRIPT


def _xml(element: Node, write: Callable[[str], object], *, root: bool = False) -> None:
    write(f"<{element.name}")
    if root:
        write(f' xmlns="{XMLNS}"')
    for key, value in element.attrs.items():
        write(f' {key}="{_xml_text(value)}"')
    if not element.children and element.value is None:
        write("/>")
        return
    write(">")
    if element.value is not None:
        write(_xml_text(element.value))
    for name, child in element.children:
        if isinstance(child, tuple):
            for value in child:
                write(f"<{name}>{_xml_text(value)}</{name}>")
            continue
        for item in child if isinstance(child, list) else (child,):
            _xml(item, write)
    write(f"</{element.name}>")


def _xml_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value)).translate(_ESCAPES)


def _json(element: Node) -> dict[str, object]:
    document: dict[str, object] = dict(element.attrs)
    if element.value is not None:
        document["value"] = element.value
    for name, child in element.children:
        if isinstance(child, tuple):
            if child:
                document[name] = list(child)
        elif isinstance(child, list):
            if child:
                document[name] = [_json(item) for item in child]
        else:
            document[name] = _json(child)
    return document
