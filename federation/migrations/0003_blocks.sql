-- Domains whose servers the board refuses to talk to; subdomains included (rule 5).
CREATE TABLE blocked_domains (
  domain TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL
);
