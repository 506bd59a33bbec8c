-- Volumes (docker's local driver: a directory DATA-ROOT/volumes/<name>/_data) and which
-- containers mount them. A volume cannot go while a container_volumes row points at it (the
-- service answers docker's 409 first); a container's rows go with the container.
CREATE TABLE volumes (
  name        TEXT    PRIMARY KEY,
  driver      TEXT    NOT NULL DEFAULT 'local',
  labels      TEXT    NOT NULL DEFAULT '{}',    -- JSON object of strings
  options     TEXT    NOT NULL DEFAULT '{}',    -- driver options, JSON object of strings
  anonymous   INTEGER NOT NULL DEFAULT 0,       -- made for a container (-v /path, the image's VOLUME)
  created_at  TEXT    NOT NULL
) STRICT;

CREATE TABLE container_volumes (
  container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
  volume_name  TEXT NOT NULL REFERENCES volumes (name),
  target       TEXT NOT NULL,                   -- where the container sees it
  PRIMARY KEY (container_id, target)
) STRICT;
CREATE INDEX container_volumes_by_volume ON container_volumes (volume_name);
