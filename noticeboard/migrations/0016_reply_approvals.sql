-- Replies to notices whose approval the board announces (GoToSocial's interaction policy):
-- the reply, the ReplyRequest it came with (NULL for a plain Create), and, once staff or the
-- reply policy approved it, the token of the ReplyAuthorization the board serves for it.
CREATE TABLE reply_approvals (
  post_id TEXT PRIMARY KEY,
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  actor_id TEXT NOT NULL,
  request_id TEXT,
  token TEXT UNIQUE,
  state TEXT NOT NULL DEFAULT 'pending',
  created TEXT NOT NULL,
  decided TEXT
);
