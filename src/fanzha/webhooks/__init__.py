"""Signed webhooks: endpoints the platform registers and deliveries retried until they land."""
