"""Retention of reporters' personal data: rules per report kind, legal holds, and the
job that destroys sealed identities and originals once their time has come."""
