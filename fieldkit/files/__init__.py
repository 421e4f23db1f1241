"""Files fieldkit reads and writes: locations, durable writing (whole or not at all), text, output
files."""
