"""Domain-free helpers: database, errors, clock, durations and the backend Protocols."""
