-- Events (GET /events), persisted so `since` finds them across daemon restarts. seq orders them
-- and never goes back (AUTOINCREMENT: a trimmed seq is never reused), so a subscriber can tell a
-- replayed event from a live one. The store keeps only the newest rows (event-store.ts).
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  time_nano  INTEGER NOT NULL,          -- unix time in nanoseconds
  type       TEXT    NOT NULL,          -- container, image, ...
  action     TEXT    NOT NULL,          -- create, die, "exec_start: sh", ...
  actor_id   TEXT    NOT NULL,
  attributes TEXT    NOT NULL           -- Actor.Attributes, JSON object of strings
) STRICT;
CREATE INDEX events_by_time ON events (time_nano);
