"""The console's pages, one module per area; :data:`router` gathers them."""
