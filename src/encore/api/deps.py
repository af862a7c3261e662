"""Typed dependencies for routes. All are `async def`: a sync dependency costs a thread hop."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from encore.accounts.model import Principal
from encore.accounts.service import AccountService
from encore.api.rate_limits import PRINCIPAL
from encore.bootstrap import Services
from encore.catalog.service import CatalogService
from encore.errors import NotAuthenticated

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _principal(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    if not token:
        raise NotAuthenticated("Sign in first: send `Authorization: Bearer <access token>`")
    # A rate-limited route's token was verified already, in front of the router.
    verified: Principal | None = request.scope.get(PRINCIPAL)
    if verified is not None:
        return verified
    services: Services = request.app.state.services
    return services.access_tokens.verify(token)


async def _accounts(request: Request) -> AccountService:
    return (await _services(request)).accounts


async def _catalog(request: Request) -> CatalogService:
    return (await _services(request)).catalog


ServicesDep = Annotated[Services, Depends(_services)]
CurrentPrincipal = Annotated[Principal, Depends(_principal)]
AccountsDep = Annotated[AccountService, Depends(_accounts)]
CatalogDep = Annotated[CatalogService, Depends(_catalog)]
