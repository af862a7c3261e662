"""Signed audio URLs: every tamper is refused, expiry is kept, keys rotate."""

import hashlib
import hmac

import pytest

from encore.streaming.paths import audio_path
from encore.streaming.signing import SignedUrl, UrlSigner, Verdict

KEY = "k" * 64
OLD_KEY = "o" * 64
NOW = 1_700_000_000.0
TRACK = "AbCdEfGhIjKlMnOpQrStUv"
PATH = audio_path(TRACK, "160.ogg")


@pytest.fixture
def signer() -> UrlSigner:
    return UrlSigner([KEY], ttl_s=3600)


def test_the_contract_is_hmac_sha256_of_path_colon_expiry(signer: UrlSigner) -> None:
    signed = signer.sign(PATH, NOW)
    expected = hmac.new(KEY.encode(), f"{PATH}:{int(NOW) + 3600}".encode(), hashlib.sha256)
    assert signed == SignedUrl(PATH, int(NOW) + 3600, expected.hexdigest())
    assert signed.query == f"exp={int(NOW) + 3600}&sig={expected.hexdigest()}"
    assert signed.path_and_query == f"{PATH}?{signed.query}"
    assert f"/audio/Ab/Cd/{TRACK}/160.ogg" == PATH


def test_a_fresh_url_verifies_until_it_expires(signer: UrlSigner) -> None:
    signed = signer.sign(PATH, NOW)
    exp, sig = str(signed.expires_at), signed.signature
    assert signer.verify(PATH, exp, sig, NOW)
    assert signer.verify(PATH, exp, sig, signed.expires_at - 0.5)
    assert signer.check(PATH, exp, sig, signed.expires_at) is Verdict.EXPIRED
    assert signer.check(PATH, exp, sig, NOW + 86_400) is Verdict.EXPIRED
    assert not signer.verify(PATH, exp, sig, signed.expires_at)


def test_uppercase_hex_is_the_same_signature(signer: UrlSigner) -> None:
    signed = signer.sign(PATH, NOW)
    assert signer.verify(PATH, str(signed.expires_at), signed.signature.upper(), NOW)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p, e, s: (p.replace("160.ogg", "320.ogg"), e, s), id="bitrate"),
        pytest.param(lambda p, e, s: (p.replace("160.ogg", "lossless.flac"), e, s), id="format"),
        pytest.param(
            lambda p, e, s: (audio_path("XbCdEfGhIjKlMnOpQrStUv", "160.ogg"), e, s), id="track"
        ),
        pytest.param(lambda p, e, s: (p + "/", e, s), id="path-suffix"),
        pytest.param(lambda p, e, s: (p, str(int(e) + 1), s), id="expiry-later"),
        pytest.param(lambda p, e, s: (p, str(int(e) - 1), s), id="expiry-earlier"),
        pytest.param(lambda p, e, s: (p, "0" + e, s), id="expiry-leading-zero"),
        pytest.param(lambda p, e, s: (p, e, s[:-1] + ("0" if s[-1] != "0" else "1")), id="sig"),
        pytest.param(lambda p, e, s: (p, e, s[:-2]), id="sig-short"),
        pytest.param(lambda p, e, s: (p, e, s + "00"), id="sig-long"),
        pytest.param(lambda p, e, s: (p, e, s[:-1]), id="sig-odd"),
        pytest.param(lambda p, e, s: (p, e, "z" * 64), id="sig-not-hex"),
        pytest.param(lambda p, e, s: (p, e, s[:62] + " a"), id="sig-space"),
        pytest.param(lambda p, e, s: (p, e, ""), id="sig-empty"),
        pytest.param(lambda p, e, s: (p, "", s), id="exp-empty"),
        pytest.param(lambda p, e, s: (p, "+" + e, s), id="exp-plus"),
        pytest.param(lambda p, e, s: (p, e + ".0", s), id="exp-fraction"),
        pytest.param(lambda p, e, s: (p, "1" * 40, s), id="exp-huge"),
        pytest.param(lambda p, e, s: (p, "\u0661\u0662\u0663", s), id="exp-arabic-digits"),
    ],
)
def test_every_tamper_is_invalid(signer: UrlSigner, tamper: object) -> None:
    signed = signer.sign(PATH, NOW)
    assert callable(tamper)
    path, exp, sig = tamper(PATH, str(signed.expires_at), signed.signature)
    assert signer.check(path, exp, sig, NOW) is Verdict.INVALID


def test_a_forged_url_is_invalid_even_when_expired(signer: UrlSigner) -> None:
    forged = UrlSigner(["f" * 64], ttl_s=3600).sign(PATH, NOW)
    later = NOW + 7200
    assert signer.check(PATH, str(forged.expires_at), forged.signature, later) is Verdict.INVALID


def test_rotation_signs_with_the_first_key_and_verifies_with_every_key() -> None:
    before = UrlSigner([OLD_KEY], ttl_s=3600)
    during = UrlSigner([KEY, OLD_KEY], ttl_s=3600)
    after = UrlSigner([KEY], ttl_s=3600)
    old_url = before.sign(PATH, NOW)
    new_url = during.sign(PATH, NOW)
    assert new_url == after.sign(PATH, NOW)
    for url in (old_url, new_url):
        assert during.verify(PATH, str(url.expires_at), url.signature, NOW)
    assert not after.verify(PATH, str(old_url.expires_at), old_url.signature, NOW)
    assert not before.verify(PATH, str(new_url.expires_at), new_url.signature, NOW)


def test_keys_are_utf8_text() -> None:
    key = "clé-" + "é" * 40
    signed = UrlSigner([key], ttl_s=60).sign(PATH, NOW)
    expected = hmac.new(key.encode(), f"{PATH}:{signed.expires_at}".encode(), hashlib.sha256)
    assert signed.signature == expected.hexdigest()


@pytest.mark.parametrize(
    ("keys", "ttl_s"), [([], 60), (["short"], 60), ([KEY, "x" * 31], 60), ([KEY], 0)]
)
def test_weak_settings_are_refused(keys: list[str], ttl_s: int) -> None:
    with pytest.raises(ValueError, match=r"key|ttl"):
        UrlSigner(keys, ttl_s=ttl_s)


@pytest.mark.parametrize("key", ["k" * 32, "ключ-" * 10, "x" * 64, "y" * 65, "z" * 200])
def test_signatures_are_standard_hmac_sha256(key: str) -> None:
    path, now = "/audio/Ab/Cd/AbCdEfGhIjKlMnOpQrStUv/96.ogg", 1_800_000_000
    signed = UrlSigner([key], ttl_s=60).sign(path, now)
    expected = hmac.new(key.encode(), f"{path}:{now + 60}".encode(), hashlib.sha256).hexdigest()
    assert signed.signature == expected
