-- Every key a remote actor lists (publicKey entries, Multikeys in assertionMethod), by its
-- own id: an actor may have several, and a key id may be the bare actor URL (PeerTube).
CREATE TABLE remote_keys (
  id TEXT PRIMARY KEY,
  actor_id TEXT NOT NULL,
  public_key_pem TEXT NOT NULL
);
CREATE INDEX remote_keys_actor ON remote_keys (actor_id);
INSERT OR IGNORE INTO remote_keys (id, actor_id, public_key_pem)
  SELECT key_id, id, public_key_pem FROM remote_actors
  WHERE key_id IS NOT NULL AND public_key_pem IS NOT NULL;
