"""Entities seen in events (accounts, devices, phones, ...) and the labels they carry."""
