"""Audit reviews: a director draws a reproducible random sample of resolved cases,
reviews each one (ok, note, reopen) and reads the findings."""
