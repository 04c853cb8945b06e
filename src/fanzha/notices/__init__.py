"""Police and authority notices: import with checks, per-identifier lookup, cases, feedback and deadlines."""
