"""User reports: intake, clustering into cases, reporter reliability and the reported-subject signal."""
