-- A number that moves with every change of the block lists, kept by triggers in the same
-- transaction as the change: a process keeps the lists in memory and reads them again only
-- when the number moved, whichever process changed them (rule 5).
CREATE TABLE block_generation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  n INTEGER NOT NULL
);
INSERT INTO block_generation (id, n) VALUES (1, 0);

CREATE TRIGGER blocked_domains_insert AFTER INSERT ON blocked_domains BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER blocked_domains_update AFTER UPDATE ON blocked_domains BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER blocked_domains_delete AFTER DELETE ON blocked_domains BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER blocked_actors_insert AFTER INSERT ON blocked_actors BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER blocked_actors_update AFTER UPDATE ON blocked_actors BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER blocked_actors_delete AFTER DELETE ON blocked_actors BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER allowed_domains_insert AFTER INSERT ON allowed_domains BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER allowed_domains_update AFTER UPDATE ON allowed_domains BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER allowed_domains_delete AFTER DELETE ON allowed_domains BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER federation_policy_update AFTER UPDATE ON federation_policy BEGIN
  UPDATE block_generation SET n = n + 1 WHERE id = 1;
END;
