"""Demo data: a year of plausible records for trying fieldkit and for benchmarks."""
