"""Base classes for request and response bodies."""

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """Bodies sent to Encore: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseBody(BaseModel):
    model_config = ConfigDict(frozen=True)
