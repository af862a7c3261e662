"""Search and discovery: typo-tolerant, ranked search across tracks, artists, albums, playlists."""
