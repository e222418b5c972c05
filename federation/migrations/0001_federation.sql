-- Keys of local actors (the board and the instance actor).
CREATE TABLE local_keys (
  actor_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL UNIQUE,
  private_pem TEXT NOT NULL,
  public_pem TEXT NOT NULL,
  created TEXT NOT NULL
);

-- Remote actors as last fetched from their origin.
CREATE TABLE remote_actors (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  type TEXT NOT NULL,
  preferred_username TEXT,
  name TEXT,
  url TEXT,
  inbox TEXT NOT NULL,
  shared_inbox TEXT,
  key_id TEXT,
  public_key_pem TEXT,
  document TEXT NOT NULL,
  fetched_at TEXT NOT NULL
);
CREATE INDEX remote_actors_key_id ON remote_actors (key_id);

CREATE TABLE followers (
  local_actor TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  follow_id TEXT NOT NULL,
  inbox TEXT NOT NULL,
  shared_inbox TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
  created TEXT NOT NULL,
  PRIMARY KEY (local_actor, actor_id)
);

CREATE TABLE following (
  local_actor TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  follow_id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (local_actor, actor_id)
);

-- Every accepted inbound activity, committed before the 202.
CREATE TABLE inbox_activities (
  id TEXT PRIMARY KEY,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT
);
CREATE INDEX inbox_activities_due ON inbox_activities (state, next_attempt_at);

-- Activities this server published; served at their ids.
CREATE TABLE outbox_activities (
  id TEXT PRIMARY KEY,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,
  object_id TEXT,
  body TEXT NOT NULL,
  public INTEGER NOT NULL DEFAULT 1,
  published TEXT NOT NULL
);
CREATE INDEX outbox_activities_actor ON outbox_activities (actor, published);

-- One row per activity and target inbox: the persisted delivery queue.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  activity_id TEXT NOT NULL REFERENCES outbox_activities (id),
  inbox TEXT NOT NULL,
  host TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_activity ON deliveries (activity_id, state);
