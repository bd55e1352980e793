"""Where a node keeps its data: moving it from SQLite to PostgreSQL."""
