"""Fixtures shared by every test folder: the stores (memory, SQLite, PostgreSQL), see tests/support."""

pytest_plugins = ["tests.support.db_fixtures"]
