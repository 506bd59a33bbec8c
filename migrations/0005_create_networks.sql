-- Networks (docker's networks API), the containers' endpoints on them, and the ports running
-- containers publish. An endpoint's address is set while its container runs (NULL otherwise);
-- UNIQUE (network_id, ip) is what keeps IPAM from handing one address out twice, also across
-- daemon restarts. A network cannot go while an endpoint row points at it (the service removes
-- the rows of stopped containers first, as moby does).
CREATE TABLE networks (
  id           TEXT    PRIMARY KEY,                -- 64 hex
  name         TEXT    NOT NULL UNIQUE,
  driver       TEXT    NOT NULL CHECK (driver IN ('bridge', 'host', 'null')),
  bridge       TEXT,                               -- the bridge device (driver bridge)
  subnet       TEXT,                               -- "172.18.0.0/16"
  gateway      TEXT,                               -- "172.18.0.1"
  ip_range     TEXT,                               -- where dynamic addresses come from; the subnet when NULL
  internal     INTEGER NOT NULL DEFAULT 0,
  attachable   INTEGER NOT NULL DEFAULT 0,
  predefined   INTEGER NOT NULL DEFAULT 0,         -- bridge, host, none: never removed
  labels       TEXT    NOT NULL DEFAULT '{}',      -- JSON object of strings
  options      TEXT    NOT NULL DEFAULT '{}',      -- driver options, JSON object of strings
  created_at   TEXT    NOT NULL,
  last_ip      TEXT                                -- the address handed out last; the next search starts after it
) STRICT;

CREATE TABLE endpoints (
  container_id TEXT    NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
  network_id   TEXT    NOT NULL REFERENCES networks (id),
  position     INTEGER NOT NULL,                   -- connection order: the first gives the default route
  config       TEXT    NOT NULL,                   -- EndpointSettings as requested (Aliases, IPAMConfig), JSON
  endpoint_id  TEXT,                               -- the rest is set while the container runs
  ip           TEXT,
  mac          TEXT,
  host_if      TEXT,                               -- the veth's host end
  container_if TEXT,                               -- its peer inside: eth0, eth1, ...
  PRIMARY KEY (container_id, network_id),
  UNIQUE (network_id, ip)
) STRICT;
CREATE INDEX endpoints_by_network ON endpoints (network_id);

CREATE TABLE published_ports (
  container_id   TEXT    NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
  proto          TEXT    NOT NULL CHECK (proto IN ('tcp', 'udp')),
  container_port INTEGER NOT NULL,
  host_ip        TEXT    NOT NULL,                 -- "0.0.0.0" for all addresses
  host_port      INTEGER NOT NULL,
  container_ip   TEXT    NOT NULL,
  bridge         TEXT    NOT NULL,
  PRIMARY KEY (container_id, proto, container_port, host_ip, host_port)
) STRICT;
