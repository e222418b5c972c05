-- The number of public activities per actor, kept by triggers in the same transaction as the
-- rows themselves: an outbox's totalItems without counting every activity on each request.
CREATE TABLE outbox_counts (
  actor TEXT PRIMARY KEY,
  public INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_counts (actor, public)
  SELECT actor, count(*) FROM outbox_activities WHERE public = 1 GROUP BY actor;

CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox_activities WHEN NEW.public = 1 BEGIN
  INSERT INTO outbox_counts (actor, public) VALUES (NEW.actor, 1)
    ON CONFLICT (actor) DO UPDATE SET public = public + 1;
END;

CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox_activities WHEN OLD.public = 1 BEGIN
  UPDATE outbox_counts SET public = public - 1 WHERE actor = OLD.actor;
END;

CREATE TRIGGER outbox_counts_update AFTER UPDATE OF actor, public ON outbox_activities BEGIN
  UPDATE outbox_counts SET public = public - 1 WHERE actor = OLD.actor AND OLD.public = 1;
  INSERT INTO outbox_counts (actor, public) SELECT NEW.actor, 1 WHERE NEW.public = 1
    ON CONFLICT (actor) DO UPDATE SET public = public + 1;
END;
