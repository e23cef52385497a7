"""Builders for the demonstration mails in samples/ (see samples/build.py)."""
