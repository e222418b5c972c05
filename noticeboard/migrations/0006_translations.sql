-- Translations of notices (also plain-language versions), one per language.
CREATE TABLE notice_translations (
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  lang TEXT NOT NULL,
  title TEXT NOT NULL,
  body_md TEXT NOT NULL,
  body_html TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (notice_id, lang)
);
