"""The append-only, hash-chained audit log. Only this domain writes it."""
