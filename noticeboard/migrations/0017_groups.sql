-- Groups on a board: each group is its own Group actor (its key lives in local_keys, its
-- members in federation's followers table under the group's actor id).
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  handle TEXT NOT NULL UNIQUE,
  actor_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  meets TEXT NOT NULL DEFAULT '',
  place TEXT NOT NULL DEFAULT '',
  repeat_rule TEXT NOT NULL DEFAULT '',
  first_meeting TEXT,
  contact TEXT NOT NULL DEFAULT '',
  picture TEXT,
  picture_alt TEXT NOT NULL DEFAULT '',
  newcomers INTEGER NOT NULL DEFAULT 1,
  languages TEXT NOT NULL DEFAULT '',
  join_policy TEXT NOT NULL DEFAULT 'open' CHECK (join_policy IN ('open', 'approve')),
  post_policy TEXT NOT NULL DEFAULT 'hold_strangers'
    CHECK (post_policy IN ('open', 'hold_strangers', 'hold_all')),
  announced_meeting TEXT,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);

-- Posts members address to a group: shown (and announced to the members), held for the
-- group's leader, removed by the leader, or deleted by their author.
CREATE TABLE group_posts (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  object_id TEXT NOT NULL,
  author TEXT NOT NULL,
  url TEXT,
  name TEXT,
  content_html TEXT NOT NULL,
  in_reply_to TEXT,
  published TEXT,
  state TEXT NOT NULL CHECK (state IN ('shown', 'held', 'removed', 'deleted')),
  announce_id TEXT,
  received TEXT NOT NULL,
  updated TEXT,
  UNIQUE (group_id, object_id)
);
CREATE INDEX group_posts_object ON group_posts (object_id);
CREATE INDEX group_posts_shown ON group_posts (group_id, state, received);

-- Accounts a group's leader removed and blocked: their follows and posts are refused.
CREATE TABLE group_blocks (
  group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  actor_id TEXT NOT NULL,
  created TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (group_id, actor_id)
);

-- A mail subscriber may get the posts shared in chosen groups too (their handles).
ALTER TABLE mail_subscribers ADD COLUMN groups TEXT NOT NULL DEFAULT '';

-- A group leader is a staff account bound to one group: the role's CHECK grows, and the
-- table is rebuilt as SQLite asks (the migration runs with foreign keys off).
CREATE TABLE staff_new (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'moderator', 'group_leader')),
  active INTEGER NOT NULL DEFAULT 1,
  created TEXT NOT NULL,
  group_id INTEGER REFERENCES groups (id)  -- a group leader's one group
);
INSERT INTO staff_new (id, username, password_hash, role, active, created)
  SELECT id, username, password_hash, role, active, created FROM staff;
DROP TABLE staff;
ALTER TABLE staff_new RENAME TO staff;
