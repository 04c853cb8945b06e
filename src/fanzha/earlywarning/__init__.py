"""Victim early warning (预警劝阻): warn a user who is about to pay, message or add a high-risk party."""
