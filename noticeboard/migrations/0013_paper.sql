-- Notices staff left off the weekly sheet for the display case ("Aushang der Woche").
-- Every current notice is on it unless listed here, so a new notice is on it by default.
CREATE TABLE paper_week_hidden (
  notice_id INTEGER PRIMARY KEY REFERENCES notices (id),
  hidden TEXT NOT NULL
);
