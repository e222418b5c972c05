-- Residents who get the board's news by e-mail. A row exists from the form on; `confirmed`
-- stays empty until the link in the confirmation mail is followed (double opt-in), and
-- unconfirmed rows are deleted when that link expires. `token` is the secret of the links
-- to change the choice and to unsubscribe; unsubscribing deletes the row at once.
CREATE TABLE mail_subscribers (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL COLLATE NOCASE UNIQUE,
  frequency TEXT NOT NULL CHECK (frequency IN ('weekly', 'daily')),
  kinds TEXT NOT NULL DEFAULT '',        -- kind ids separated by spaces, empty for all kinds
  language TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  confirmed TEXT,
  news_since TEXT,                       -- notices published after this are new to them
  last_news TEXT                         -- when the last mail with news was queued
);
CREATE INDEX mail_subscribers_confirmed ON mail_subscribers (confirmed, frequency);

-- Every mail the board sends, one row per message, rendered when queued. `sending` marks a
-- message whose transfer (SMTP DATA) has begun: after a crash it is not sent again, so that
-- nothing arrives twice.
CREATE TABLE mail_messages (
  id INTEGER PRIMARY KEY,
  subscriber_id INTEGER REFERENCES mail_subscribers (id) ON DELETE CASCADE,
  recipient TEXT NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('confirm', 'subscribed', 'news')),
  message_id TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt TEXT NOT NULL,
  last_error TEXT,
  created TEXT NOT NULL,
  sent TEXT
);
CREATE INDEX mail_messages_due ON mail_messages (state, next_attempt);
