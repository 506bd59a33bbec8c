-- The daemon's own identity: one row, created on first start. /info reports it as ID.
CREATE TABLE engine (
  singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
  id         TEXT    NOT NULL,
  created_at TEXT    NOT NULL
) STRICT;
