-- Kinds of notice, validity, "done", pinning and the notice's language.
ALTER TABLE notices ADD COLUMN kind TEXT NOT NULL DEFAULT 'announcement';
ALTER TABLE notices ADD COLUMN valid_until TEXT;
ALTER TABLE notices ADD COLUMN done TEXT;
ALTER TABLE notices ADD COLUMN expired TEXT;
ALTER TABLE notices ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN lang TEXT;
CREATE INDEX notices_kind ON notices (kind, published);
CREATE INDEX notices_valid_until ON notices (valid_until) WHERE expired IS NULL;
