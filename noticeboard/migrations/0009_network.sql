-- Posts from the network keep their object (to share them with their kind, dates and place)
-- and the kind of notice they are, for the network page.
ALTER TABLE remote_posts ADD COLUMN object_json TEXT;
ALTER TABLE remote_posts ADD COLUMN kind TEXT;

-- Automatic sharing: posts of one partner (or any) of one kind (or any), at most N a day.
CREATE TABLE share_rules (
  id INTEGER PRIMARY KEY,
  actor_id TEXT,
  kind TEXT,
  daily_cap INTEGER NOT NULL CHECK (daily_cap > 0),
  created TEXT NOT NULL,
  created_by TEXT NOT NULL
);

-- Every time a rule matched: shared, or left out because the day's cap was reached.
CREATE TABLE share_rule_hits (
  id INTEGER PRIMARY KEY,
  rule_id INTEGER NOT NULL,
  post_id TEXT NOT NULL,
  notice_id INTEGER,
  outcome TEXT NOT NULL CHECK (outcome IN ('shared', 'cap')),
  created TEXT NOT NULL
);
CREATE INDEX share_rule_hits_rule ON share_rule_hits (rule_id, created);

-- One row a day: how many followers and servers the board had (the staff's network page).
CREATE TABLE follower_counts (
  day TEXT PRIMARY KEY,
  followers INTEGER NOT NULL,
  servers INTEGER NOT NULL
);
