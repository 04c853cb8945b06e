"""The disposal ladder: measures on accounts and items, restrictions, strikes, re-verification and
statements of reasons."""
