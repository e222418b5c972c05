-- Staff sessions kept on the server: the browser holds a random id, the board only its hash,
-- so signing out, a password change or an owner can end a session for good.
CREATE TABLE staff_sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
  created TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  expires TEXT NOT NULL,
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- An invitation names the account it creates, chosen by the owner who makes it, so the
-- invitation form never has to say whether some other user name exists.
ALTER TABLE staff_invitations ADD COLUMN username TEXT;
