"""Who may do what: API keys, roles and permissions."""
