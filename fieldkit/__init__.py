"""fieldkit: offline data collection for legal-outreach work in street offices."""

import logging

# Warnings (a forms file left out, a compaction put off) are shown by the command line as
# notes, and by the app where it chooses; never by logging's last-resort printer.
logging.getLogger(__name__).addHandler(logging.NullHandler())
