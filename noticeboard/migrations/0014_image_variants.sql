-- Smaller copies of each picture, for small screens and slow connections (srcset). Pictures
-- stored before have none until `aushang images rebuild` (or the periodic round) makes them;
-- until then pages show the picture itself, as before.
CREATE TABLE notice_image_variants (
  file TEXT NOT NULL REFERENCES notice_images (file),
  variant TEXT NOT NULL UNIQUE,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  PRIMARY KEY (file, width)
);
