"""Signed audio URLs, for any path, time and key: a signature verifies exactly the (path, expiry)
it was made for, by a key still held, until the expiry."""

from hypothesis import assume, given
from hypothesis import strategies as st

from encore.streaming.signing import MIN_KEY_LENGTH, UrlSigner, Verdict

keys = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF),
    min_size=MIN_KEY_LENGTH,
    max_size=80,
)
paths = st.text(min_size=1, max_size=120).map(lambda tail: "/audio/" + tail)
moments = st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False)
ttls = st.integers(min_value=1, max_value=7 * 86_400)


@given(key=keys, path=paths, now=moments, ttl_s=ttls, data=st.data())
def test_a_signature_verifies_until_it_expires(
    key: str, path: str, now: float, ttl_s: int, data: st.DataObject
) -> None:
    signer = UrlSigner([key], ttl_s=ttl_s)
    signed = signer.sign(path, now)
    exp = str(signed.expires_at)
    assert signed.expires_at == int(now) + ttl_s
    # Any moment before the expiry verifies; the expiry itself and after do not.
    before = int(now) + data.draw(st.integers(0, ttl_s - 1)) + 0.5
    assert signer.check(path, exp, signed.signature, before) is Verdict.VALID
    assert signer.check(path, exp, signed.signature, signed.expires_at) is Verdict.EXPIRED
    assert signer.check(path, exp, signed.signature, signed.expires_at + 1e6) is Verdict.EXPIRED


@given(key=keys, path=paths, other=paths, now=moments)
def test_a_signature_for_one_path_is_invalid_for_any_other(
    key: str, path: str, other: str, now: float
) -> None:
    assume(other != path)
    signer = UrlSigner([key], ttl_s=3600)
    signed = signer.sign(path, now)
    assert signer.check(other, str(signed.expires_at), signed.signature, now) is Verdict.INVALID


@given(key=keys, path=paths, now=moments, exp=st.text(max_size=14))
def test_any_other_expiry_is_invalid(key: str, path: str, now: float, exp: str) -> None:
    signer = UrlSigner([key], ttl_s=3600)
    signed = signer.sign(path, now)
    assume(exp != str(signed.expires_at))
    assert signer.check(path, exp, signed.signature, now) is Verdict.INVALID


@given(
    key=keys,
    path=paths,
    now=moments,
    position=st.integers(0, 63),
    replacement=st.sampled_from("0123456789abcdef"),
)
def test_any_changed_hex_digit_is_invalid(
    key: str, path: str, now: float, position: int, replacement: str
) -> None:
    signer = UrlSigner([key], ttl_s=3600)
    signed = signer.sign(path, now)
    assume(signed.signature[position] != replacement)
    forged = signed.signature[:position] + replacement + signed.signature[position + 1 :]
    assert signer.check(path, str(signed.expires_at), forged, now) is Verdict.INVALID


@given(key=keys, path=paths, now=moments, sig=st.text(max_size=70))
def test_any_other_signature_text_is_invalid(key: str, path: str, now: float, sig: str) -> None:
    signer = UrlSigner([key], ttl_s=3600)
    signed = signer.sign(path, now)
    assume(sig.lower() != signed.signature)
    assert signer.check(path, str(signed.expires_at), sig, now) is Verdict.INVALID


@given(old=keys, new=keys, stranger=keys, path=paths, now=moments)
def test_rotation_keeps_old_urls_until_the_old_key_is_dropped(
    old: str, new: str, stranger: str, path: str, now: float
) -> None:
    assume(len({old, new, stranger}) == 3)
    signed_before = UrlSigner([old], ttl_s=3600).sign(path, now)
    exp, sig = str(signed_before.expires_at), signed_before.signature
    rotating = UrlSigner([new, old], ttl_s=3600)
    assert rotating.verify(path, exp, sig, now)
    signed_after = rotating.sign(path, now)
    assert UrlSigner([new], ttl_s=3600).verify(path, exp, signed_after.signature, now)
    assert not UrlSigner([new], ttl_s=3600).verify(path, exp, sig, now)
    assert UrlSigner([stranger], ttl_s=3600).check(path, exp, sig, now) is Verdict.INVALID
