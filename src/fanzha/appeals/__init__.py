"""Appeals against measures: submitted by the platform for its user, decided by someone else."""
