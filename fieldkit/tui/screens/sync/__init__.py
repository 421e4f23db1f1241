"""The sync screen: one module per tab (export, import, conflicts, duplicates, rejected; the
devices tab is fieldkit.tui.widgets.devices_tab), the screen that holds them, and the screen
that resolves one conflict field by field."""
