"""The documentation site's build-time parts: the reference pages rendered from the code (the
settings model, the OpenAPI document) and the reading of the shell commands the pages show."""
