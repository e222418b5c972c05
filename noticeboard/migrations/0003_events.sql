-- Events: when and where (times stored in UTC; shown in the board's time zone).
ALTER TABLE notices ADD COLUMN event_start TEXT;
ALTER TABLE notices ADD COLUMN event_end TEXT;
ALTER TABLE notices ADD COLUMN place_name TEXT;
ALTER TABLE notices ADD COLUMN place_address TEXT;
ALTER TABLE notices ADD COLUMN latitude REAL;
ALTER TABLE notices ADD COLUMN longitude REAL;
ALTER TABLE notices ADD COLUMN online_url TEXT;
CREATE INDEX notices_event_start ON notices (event_start) WHERE event_start IS NOT NULL;
