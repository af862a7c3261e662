"""Personalization: taste models, Discover Weekly, Daily Mix, Release Radar and radio."""
