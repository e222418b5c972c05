-- Pictures of notices: files under data_dir/media with generated names (rule 20).
CREATE TABLE notice_images (
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  position INTEGER NOT NULL,
  file TEXT NOT NULL UNIQUE,
  media_type TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  alt TEXT NOT NULL,
  blurhash TEXT,
  PRIMARY KEY (notice_id, position)
);
