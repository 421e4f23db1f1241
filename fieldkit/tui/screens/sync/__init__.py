"""The sync screen: one module per tab (export, import, conflicts, duplicates, rejected,
devices), the screen that holds them, and the screen that resolves one conflict field by
field."""
