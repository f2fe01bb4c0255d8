"""Sealed reporter data: identities, identifying photo facts and originals that only
the officers entitled to them can open (see crypto.py and services.py)."""
