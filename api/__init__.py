"""Ways in: the HTTP API, its schemas and error mapping, settings, the composition root and the CLI."""
