"""Wrapped: a listener's year in music, computed from the lake once a year and kept."""
