-- Board-wide settings (secrets generated at init).
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE staff (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'moderator')),
  active INTEGER NOT NULL DEFAULT 1,
  created TEXT NOT NULL
);

CREATE TABLE notices (
  id INTEGER PRIMARY KEY,
  ap_id TEXT UNIQUE,
  title TEXT NOT NULL,
  body_md TEXT NOT NULL,
  body_html TEXT NOT NULL,
  category TEXT,
  author_id INTEGER REFERENCES staff (id),
  create_activity_id TEXT,
  published TEXT NOT NULL,
  updated TEXT,
  deleted TEXT
);
CREATE INDEX notices_published ON notices (published);

-- Posts received from accounts and boards this board follows ("from our network").
CREATE TABLE remote_posts (
  id TEXT PRIMARY KEY,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,
  url TEXT,
  name TEXT,
  content_html TEXT NOT NULL,
  in_reply_to TEXT,
  published TEXT,
  received TEXT NOT NULL,
  deleted TEXT
);
CREATE INDEX remote_posts_received ON remote_posts (received);
