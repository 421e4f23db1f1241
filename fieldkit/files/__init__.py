"""Files fieldkit reads and writes outside its store: locations, text, output files, the error log."""
