"""The decision path: events in, allow/warn/review/block out, every decision recorded."""
