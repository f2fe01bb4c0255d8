"""Deadlines: the working-day calendar and the versioned deadline policies."""
