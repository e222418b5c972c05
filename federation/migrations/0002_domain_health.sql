-- Days on which delivering to a host failed; seven distinct days mark it unavailable (rule 24).
CREATE TABLE delivery_failure_days (
  host TEXT NOT NULL,
  day TEXT NOT NULL,
  PRIMARY KEY (host, day)
);

CREATE TABLE unavailable_hosts (
  host TEXT PRIMARY KEY,
  since TEXT NOT NULL
);
