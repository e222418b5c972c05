-- What the board stood at, one row per figure and day (the board's local date): followers,
-- the servers they are on, confirmed e-mail subscribers, partner boards followed, members of
-- local groups. Taken once a day for the day that just ended, so reports can say what the
-- board reached at the end of any month, quarter or year.
CREATE TABLE daily_figures (
  figure TEXT NOT NULL,
  day TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (figure, day)
) WITHOUT ROWID;

-- The follower counts kept so far (the network page's) are the first history.
INSERT INTO daily_figures (figure, day, value)
  SELECT 'followers', day, followers FROM follower_counts;
INSERT INTO daily_figures (figure, day, value)
  SELECT 'servers', day, servers FROM follower_counts;

-- The impact report counts these by when they happened; the first two cover every column
-- its counts read, so a year of a busy board is counted from the indexes alone.
CREATE INDEX notices_report ON notices (published, origin, kind, deleted);
CREATE INDEX remote_posts_report ON remote_posts (role, received, state, deleted);
CREATE INDEX reactions_created ON reactions (type, created);
CREATE INDEX poll_votes_created ON poll_votes (created);
CREATE INDEX submissions_created ON submissions (created);
