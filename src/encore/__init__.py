"""Encore: a self-hostable music streaming service."""

__version__ = "0.1.0"
