"""A listener's library: playlists, liked tracks, followed artists and playlists."""
