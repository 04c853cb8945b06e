"""Indicator sharing: STIX 2.1 export and import of list entries."""
