"""The local SQLite store: schema, engine settings, migrations, reads and the apply of changes."""
