-- Inboxes that answered 404 or 410; after repeated answers their followers are dropped (rule 23).
CREATE TABLE gone_inboxes (
  inbox TEXT PRIMARY KEY,
  answers INTEGER NOT NULL,
  last TEXT NOT NULL
);
