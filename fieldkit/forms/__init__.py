"""The forms as data: definitions, rules, validation, ID numbers, visit schedules, case numbers."""
