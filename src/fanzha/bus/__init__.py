"""The bus: domain events written to the ``outbox`` in the transaction that caused them, and the
dispatcher that hands each one to the domains subscribed to its topic (at least once)."""
