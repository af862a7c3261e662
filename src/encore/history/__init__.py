"""Listening history: what each listener played, when, and how much of it."""
