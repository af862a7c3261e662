"""Personalization: taste models, playlists and radio built from listening history."""
