"""Tests for schema/: composition against Apollo, the CLI, config and schema checks."""
