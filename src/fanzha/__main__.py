"""``python -m fanzha`` is the ``fanzha`` command."""

from fanzha.cli.main import app

app()
