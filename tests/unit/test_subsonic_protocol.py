"""The Subsonic protocol's own pieces: sealing, parameters, rendering, the stream ceiling."""

import json

import pytest

from encore.accounts.model import Plan
from encore.catalog.model import Quality
from encore.streaming.model import best_quality, served_quality
from encore.subsonic import render
from encore.subsonic.protocol import ErrorCode, Node, Params, SubsonicError, node
from encore.subsonic.sealing import SecretBox, Unsealable


def test_a_sealed_secret_opens_only_with_its_key_and_unaltered() -> None:
    box = SecretBox(b"k" * 32)
    sealed = box.seal("hunter2-long-password")
    assert "hunter2" not in sealed
    assert sealed != box.seal("hunter2-long-password")  # a fresh nonce each time
    assert box.open(sealed) == "hunter2-long-password"
    with pytest.raises(Unsealable):
        SecretBox(b"x" * 32).open(sealed)
    tampered = sealed[:30] + ("A" if sealed[30] != "A" else "B") + sealed[31:]
    with pytest.raises(Unsealable):
        box.open(tampered)
    with pytest.raises(Unsealable):
        box.open("not base64 at all!")


def test_parameters() -> None:
    params = Params([("id", "a"), ("id", "b"), ("size", "700"), ("n", "x"), ("flag", "TRUE")])
    assert params.all("id") == ["a", "b"]
    assert params.get("id") == "a"
    assert params.integer("size", 10, most=500) == 500
    assert params.integer("missing", 10) == 10
    assert params.boolean("flag", False) is True
    with pytest.raises(SubsonicError) as bad:
        params.integer("n", 0)
    assert bad.value.code is ErrorCode.GENERIC
    with pytest.raises(SubsonicError) as absent:
        params.required("query")
    assert absent.value.code is ErrorCode.MISSING_PARAMETER


def _answer() -> Node:
    root = node("album", id="a1", name='Tom & "Jerry" <live>\x01', songCount=2, starred=None)
    root.many("song", [node("song", id="s1", isDir=False), node("song", id="s2", isDir=False)])
    root.values("folder", [1, 2])
    genre = root.one(node("genre", songCount=3))
    genre.value = "Folk"
    return root


def test_xml_escapes_and_drops_what_xml_cannot_carry() -> None:
    body, media_type = render.ok(_answer(), render.Format("xml"), "1.0")
    text = body.decode()
    assert media_type.startswith("text/xml")
    assert 'name="Tom &amp; &quot;Jerry&quot; &lt;live&gt;"' in text
    assert "\x01" not in text
    assert "<folder>1</folder><folder>2</folder>" in text
    assert '<genre songCount="3">Folk</genre>' in text


def test_json_lists_stay_lists_and_types_stay_types() -> None:
    body, _ = render.ok(_answer(), render.Format("json"), "1.0")
    album = json.loads(body)["subsonic-response"]["album"]
    assert album["songCount"] == 2
    assert album["song"] == [{"id": "s1", "isDir": False}, {"id": "s2", "isDir": False}]
    assert album["folder"] == [1, 2]
    assert album["genre"] == {"songCount": 3, "value": "Folk"}
    assert "starred" not in album


@pytest.mark.parametrize("callback", ["cb", "jQuery_123", "app.on$Answer"])
def test_jsonp_with_an_identifier(callback: str) -> None:
    fmt = render.response_format("jsonp", callback)
    body, media_type = render.ok(None, fmt, "1.0")
    assert media_type == "application/javascript"
    assert body.startswith(callback.encode() + b"({") and body.endswith(b");")


@pytest.mark.parametrize("callback", ["", "a()", "a;alert(1)", "1a", "a..b", "a-b", "x" * 65])
def test_jsonp_refuses_anything_else(callback: str) -> None:
    with pytest.raises(SubsonicError):
        render.response_format("jsonp", callback)


def test_the_stream_ceiling_follows_the_plan_and_the_ladder() -> None:
    assert best_quality(Plan.FREE, max_kbps=None, lossless=True) is Quality.HIGH
    assert best_quality(Plan.FREE, max_kbps=320, lossless=False) is Quality.HIGH
    assert best_quality(Plan.PREMIUM, max_kbps=None, lossless=False) is Quality.VERY_HIGH
    assert best_quality(Plan.PREMIUM, max_kbps=None, lossless=True) is Quality.LOSSLESS
    assert best_quality(Plan.PREMIUM, max_kbps=128, lossless=True) is Quality.NORMAL
    assert best_quality(Plan.FAMILY, max_kbps=5, lossless=False) is Quality.LOW
    assert served_quality({Quality.LOW, Quality.HIGH}, Quality.VERY_HIGH) is Quality.HIGH
    assert served_quality({Quality.HIGH}, Quality.NORMAL) is None


def test_remembered_values_last_their_time_and_go_when_forgotten() -> None:
    from encore.subsonic.remembered import Remembered

    now = [0.0]
    loads: list[list[str]] = []

    def load(keys: list[str]) -> dict[str, str]:
        loads.append(keys)
        return {k: k.upper() for k in keys if k != "gone"}

    memo: Remembered[str, str] = Remembered(ttl_s=60, max_entries=10, clock=lambda: now[0])
    assert memo.get_many(["a", "b", "gone"], load) == {"a": "A", "b": "B"}
    assert memo.get_many(["a", "b"], load) == {"a": "A", "b": "B"}
    assert loads == [["a", "b", "gone"]]
    memo.forget(["a"])
    memo.get_many(["a", "b"], load)
    assert loads[-1] == ["a"]
    now[0] = 61.0
    memo.get_many(["b"], load)
    assert loads[-1] == ["b"]
