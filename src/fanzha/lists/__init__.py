"""Named indicator lists and their fast membership index."""
