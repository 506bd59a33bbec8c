-- Containers: their merged config and host config as docker's JSON, and their state in columns so
-- list filters and the restore at start can query it. The image row cannot go while a container
-- stands on it (the service answers docker's 409 before the constraint would).
CREATE TABLE containers (
  id            TEXT    PRIMARY KEY,                -- 64 hex
  name          TEXT    NOT NULL UNIQUE,            -- "/web"
  image_id      TEXT    NOT NULL REFERENCES images (id),
  image_name    TEXT    NOT NULL,                   -- as the request named it
  config        TEXT    NOT NULL,                   -- merged Config, JSON
  host_config   TEXT    NOT NULL,                   -- HostConfig, JSON
  created_at    TEXT    NOT NULL,
  restart_count INTEGER NOT NULL DEFAULT 0,
  status        TEXT    NOT NULL CHECK (status IN ('created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead')),
  pid           INTEGER NOT NULL DEFAULT 0,
  exit_code     INTEGER NOT NULL DEFAULT 0,
  error         TEXT    NOT NULL DEFAULT '',
  oom_killed    INTEGER NOT NULL DEFAULT 0,
  started_at    TEXT,
  finished_at   TEXT
) STRICT;
CREATE INDEX containers_by_image ON containers (image_id);
