"""The SQL store against its contract, on memory, SQLite and PostgreSQL."""
