"""The local store: durable journal storage, records and their versions, encryption at rest."""
