"""Moving records between data dirs: bundles, device keys and trust, export, import and merge."""
