"""Who a Subsonic request speaks for: `u` with a token (`t`, `s`) or a password (`p`, plain or
`enc:` hex), or an OpenSubsonic `apiKey` alone. Mixing them is error 43."""

import binascii

from encore.subsonic.credentials import SubsonicCredentials
from encore.subsonic.facade import Caller
from encore.subsonic.protocol import ErrorCode, Params, SubsonicError, check_version, missing

HELP_URL = "/api/v1/me/subsonic-credentials"


def authenticate(
    credentials: SubsonicCredentials, params: Params, *, password_auth: bool
) -> Caller:
    version, client = params.get("v"), params.get("c")
    api_key = params.get("apiKey")
    username = params.get("u")
    token, salt, password = params.get("t"), params.get("s"), params.get("p")
    if api_key is not None:
        if username is not None or token is not None or password is not None:
            raise SubsonicError(
                ErrorCode.CONFLICTING_MECHANISMS,
                "Multiple conflicting authentication mechanisms provided",
            )
        _require_client(version, client)
        user_id, name = credentials.by_api_key(api_key)
        return Caller(user_id, name, client or "")
    if not username:
        raise missing("u")
    _require_client(version, client)
    if token is not None and password is not None:
        raise SubsonicError(
            ErrorCode.CONFLICTING_MECHANISMS,
            "Multiple conflicting authentication mechanisms provided",
        )
    if token is not None:
        if not password_auth:
            raise SubsonicError(
                ErrorCode.TOKEN_AUTH_NOT_SUPPORTED,
                "Token authentication is turned off on this server: use an API key",
                help_url=HELP_URL,
            )
        if not salt:
            raise missing("s")
        user_id = credentials.by_token(username, token, salt)
    elif password is not None:
        if not password_auth:
            raise SubsonicError(
                ErrorCode.MECHANISM_NOT_SUPPORTED,
                "Password authentication not supported. Use API keys",
                help_url=HELP_URL,
            )
        user_id = credentials.by_password(username, _plain(password))
    else:
        raise missing("t")
    return Caller(user_id, username, client or "")


def _require_client(version: str | None, client: str | None) -> None:
    if not version:
        raise missing("v")
    check_version(version)
    if not client:
        raise missing("c")


def _plain(password: str) -> str:
    if not password.startswith("enc:"):
        return password
    try:
        return binascii.unhexlify(password[4:]).decode()
    except (binascii.Error, ValueError):
        raise SubsonicError(ErrorCode.WRONG_CREDENTIALS, "Wrong username or password") from None
