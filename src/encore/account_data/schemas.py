"""The bodies of the account-data routes."""

from pydantic import ConfigDict, Field

from encore.api.schemas import RequestBody


class AccountDelete(RequestBody):
    # A password is taken as typed: its spaces are part of it.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    password: str = Field(
        min_length=1,
        max_length=1024,
        description="The account's password: deleting needs it even with a valid token.",
    )
