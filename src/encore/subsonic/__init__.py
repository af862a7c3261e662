"""The Subsonic / OpenSubsonic API: a facade over Encore's own services for the apps that speak
it (DSub, Symfonium, Substreamer, play:Sub, Feishin, Sonixd, Sublime Music)."""
