"""The `eligibility` console command: the composition root for the command line."""
