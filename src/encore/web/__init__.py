"""The web player: plain ES modules and CSS served at `/`, with no build step."""
