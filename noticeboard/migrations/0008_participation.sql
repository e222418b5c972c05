-- Where a notice came from: written by staff, submitted by a resident, posted on a
-- resident's behalf, or a post from elsewhere that the board shares (Announce).
ALTER TABLE notices ADD COLUMN origin TEXT NOT NULL DEFAULT 'staff'
  CHECK (origin IN ('staff', 'submission', 'assisted', 'shared'));
ALTER TABLE notices ADD COLUMN submitted_by TEXT;
ALTER TABLE notices ADD COLUMN on_behalf_of TEXT;
ALTER TABLE notices ADD COLUMN consent_method TEXT;
ALTER TABLE notices ADD COLUMN consent_given TEXT;
ALTER TABLE notices ADD COLUMN consent_until TEXT;
-- Shared posts: the original's id, web address, author, and our Announce of it.
ALTER TABLE notices ADD COLUMN origin_id TEXT;
ALTER TABLE notices ADD COLUMN origin_url TEXT;
ALTER TABLE notices ADD COLUMN origin_actor TEXT;
ALTER TABLE notices ADD COLUMN origin_author TEXT;
ALTER TABLE notices ADD COLUMN announce_id TEXT;
CREATE UNIQUE INDEX notices_origin_id ON notices (origin_id) WHERE deleted IS NULL;

-- Replies and mentions: which notice a reply answers, and whether it is shown.
ALTER TABLE remote_posts ADD COLUMN notice_id INTEGER REFERENCES notices (id);
ALTER TABLE remote_posts ADD COLUMN role TEXT NOT NULL DEFAULT 'network'
  CHECK (role IN ('network', 'reply', 'mention'));
ALTER TABLE remote_posts ADD COLUMN state TEXT NOT NULL DEFAULT 'shown'
  CHECK (state IN ('held', 'shown', 'rejected'));
CREATE INDEX remote_posts_notice ON remote_posts (notice_id, state) WHERE notice_id IS NOT NULL;

-- Likes and boosts of notices, one per actor and type; Undo removes them.
CREATE TABLE reactions (
  activity_id TEXT PRIMARY KEY,
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  actor TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('Like', 'Announce')),
  created TEXT NOT NULL,
  UNIQUE (notice_id, actor, type)
);

-- Notices residents send through the web form; contact is for staff only.
CREATE TABLE submissions (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  body_md TEXT NOT NULL,
  author_name TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  notice_id INTEGER REFERENCES notices (id)
);

-- Reports: received Flags and the ones staff made (and maybe forwarded).
CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  incoming INTEGER NOT NULL,
  activity_id TEXT UNIQUE,
  reporter TEXT,
  target_actor TEXT,
  objects TEXT NOT NULL DEFAULT '[]',
  comment TEXT NOT NULL DEFAULT '',
  forwarded TEXT,
  created TEXT NOT NULL
);

-- Everything that waits for a decision, one number per item for web and command line.
CREATE TABLE moderation_items (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('submission', 'reply', 'mention', 'report')),
  ref TEXT NOT NULL,
  summary TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  reason TEXT,
  decided_by TEXT,
  decided TEXT,
  created TEXT NOT NULL,
  UNIQUE (kind, ref)
);
CREATE INDEX moderation_items_state ON moderation_items (state, created);

-- Who did what, when and why: moderation and staff actions, for owners.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  created TEXT NOT NULL,
  staff TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT ''
);

-- One-time invitation links for new staff (only a hash of the token is kept).
CREATE TABLE staff_invitations (
  token_hash TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'moderator')),
  created_by TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  used TEXT
);
