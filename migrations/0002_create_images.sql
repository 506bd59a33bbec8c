-- Images, their layers and references. Reference counts are derived (a layer is in use while an
-- image_layers row or a child layer points at it), never stored, so they cannot drift.

-- One row per unpacked layer directory, shared by every image whose layer chain reaches it.
CREATE TABLE layers (
  chain_id   TEXT    PRIMARY KEY,
  diff_id    TEXT    NOT NULL,
  parent     TEXT    REFERENCES layers (chain_id),
  size       INTEGER NOT NULL,          -- bytes of the unpacked diff
  created_at TEXT    NOT NULL
) STRICT;

CREATE TABLE images (
  id              TEXT    PRIMARY KEY,  -- sha256:<digest of the config>
  config          BLOB    NOT NULL,     -- the config, byte for byte
  manifest_digest TEXT    NOT NULL,     -- the manifest kapal saves and pushes (a blob)
  top_layer       TEXT    REFERENCES layers (chain_id),
  size            INTEGER NOT NULL,     -- sum of the unpacked layers
  created_at      TEXT    NOT NULL,     -- when kapal registered it
  last_tag_time   TEXT
) STRICT;

-- The layer blobs an image was delivered with, in order (for save and push).
CREATE TABLE image_layers (
  image_id   TEXT    NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  chain_id   TEXT    NOT NULL REFERENCES layers (chain_id),
  digest     TEXT    NOT NULL,          -- the blob as delivered (compressed or not)
  media_type TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  PRIMARY KEY (image_id, position)
) STRICT;
CREATE INDEX image_layers_by_chain ON image_layers (chain_id);

-- Tags (docker.io/library/busybox:latest) and digests (docker.io/library/busybox@sha256:...),
-- stored in canonical form.
CREATE TABLE image_refs (
  name       TEXT NOT NULL PRIMARY KEY,
  image_id   TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  kind       TEXT NOT NULL CHECK (kind IN ('tag', 'digest')),
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX image_refs_by_image ON image_refs (image_id);
