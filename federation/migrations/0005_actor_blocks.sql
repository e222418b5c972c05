-- Single accounts the board refuses, and the servers it talks to in limited federation.
CREATE TABLE blocked_actors (
  actor_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL
);

CREATE TABLE allowed_domains (
  domain TEXT PRIMARY KEY,
  created TEXT NOT NULL
);

-- One row: whether only allowed domains may federate ("limited federation").
CREATE TABLE federation_policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  limited INTEGER NOT NULL DEFAULT 0
);
INSERT INTO federation_policy (id, limited) VALUES (1, 0);
