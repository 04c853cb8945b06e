"""Indicator sharing: STIX 2.1 and MISP export and import of list entries, hashed per sharing group."""
