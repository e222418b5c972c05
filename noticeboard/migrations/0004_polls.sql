-- Polls: options, votes from the fediverse and the web, participation codes.
ALTER TABLE notices ADD COLUMN poll_multiple INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN poll_closes TEXT;
ALTER TABLE notices ADD COLUMN poll_web_votes TEXT NOT NULL DEFAULT 'anyone'
  CHECK (poll_web_votes IN ('anyone', 'code'));
-- Votes counted but not yet sent to followers as an Update (they are batched).
ALTER TABLE notices ADD COLUMN poll_changed TEXT;
-- When followers were told that the poll closed.
ALTER TABLE notices ADD COLUMN poll_closed_sent TEXT;

CREATE TABLE poll_options (
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (notice_id, position)
);

CREATE TABLE poll_votes (
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  position INTEGER NOT NULL,
  voter TEXT NOT NULL,
  activity_id TEXT,
  created TEXT NOT NULL,
  PRIMARY KEY (notice_id, position, voter)
);
CREATE INDEX poll_votes_voter ON poll_votes (notice_id, voter);

CREATE TABLE poll_codes (
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  code TEXT NOT NULL,
  used TEXT,
  created TEXT NOT NULL,
  PRIMARY KEY (notice_id, code)
);
