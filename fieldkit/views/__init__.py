"""The read model: what the command line and the app show, computed once for both.

- `records`: the one order of a form's records, and the record index with its search text;
- `persons`: the person index, the due list and supervision ends;
- `monthly`: the month-by-month figures of the dashboard;
- `chinese`: finding Chinese text by pinyin initials, and ordering it naturally.

Plain Python over a Workspace: no UI is imported here.
"""
