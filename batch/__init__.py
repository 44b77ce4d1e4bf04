"""Batch eligibility for whole registers: files in, one result row per person out."""
