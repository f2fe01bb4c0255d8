"""`flask seed-bulk`: a large, realistic data set for measuring the app at national scale.

`generator` plans each case from the seed and its index alone (pure, no database);
`org` creates the organisation the cases belong to; `rows` turns plans into table
rows (deadlines, audit events, photos …); `loader` writes them batch by batch
(PostgreSQL COPY, SQLite executemany), keeping the audit chain valid and recording
its progress so a re-run adds only what is missing.
"""
