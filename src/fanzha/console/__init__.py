"""The web console for analysts, reviewers, appeals officers, police liaison and auditors.

Server-rendered pages (Jinja2 + htmx, both served from this package: nothing is loaded from the
internet) under ``/console``, in Chinese and English. Console users sign in with a password
(argon2) and hold one of the roles of :mod:`fanzha.auth.roles`; every action goes through the
same service functions as the API, with the user as the audited actor.
"""
