"""The local store: durable journal storage, records and their versions, encryption at rest, and
the error log (its details sealed like the data)."""
