"""The embedded demo: real OpenBao and PostgreSQL servers on loopback, seeded with realistic data."""
