"""Events: the typed schema of what the platform reports, and the entities inside them."""
