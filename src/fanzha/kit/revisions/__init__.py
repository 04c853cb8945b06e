"""Revision counters that tell every process when shared state (rules, lists, labels) changed.

A change bumps its revision in the same transaction; running processes poll the small
``state_revisions`` table and reload only what moved. This is how several workers on PostgreSQL
stay in step without a message bus.
"""
