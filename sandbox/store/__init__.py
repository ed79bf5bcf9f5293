"""The trajectory store: one SQLite file per run (see docs/trajectory-schema.md)."""
