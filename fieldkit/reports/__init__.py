"""What the office hands on: the year's figures, the annual report draft and the ledgers."""
