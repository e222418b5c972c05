-- Full-text search over notices and their translations (FTS5), kept current by triggers.
CREATE VIRTUAL TABLE notice_search USING fts5(
  title, body, extra, tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO notice_search (rowid, title, body, extra)
  SELECT id, title, body_md, coalesce(category, '') || ' ' || coalesce(place_name, '')
  FROM notices WHERE deleted IS NULL;

CREATE TRIGGER notice_search_insert AFTER INSERT ON notices BEGIN
  INSERT INTO notice_search (rowid, title, body, extra) VALUES (
    NEW.id, NEW.title, NEW.body_md,
    coalesce(NEW.category, '') || ' ' || coalesce(NEW.place_name, '')
  );
END;

CREATE TRIGGER notice_search_update AFTER UPDATE OF title, body_md, category, place_name, deleted
ON notices BEGIN
  DELETE FROM notice_search WHERE rowid = NEW.id;
  INSERT INTO notice_search (rowid, title, body, extra)
    SELECT NEW.id, NEW.title, NEW.body_md,
      coalesce(NEW.category, '') || ' ' || coalesce(NEW.place_name, '') || ' ' ||
      coalesce((SELECT group_concat(t.title || ' ' || t.body_md, ' ')
                FROM notice_translations t WHERE t.notice_id = NEW.id), '')
    WHERE NEW.deleted IS NULL;
END;

CREATE TRIGGER notice_search_translation_insert AFTER INSERT ON notice_translations BEGIN
  UPDATE notices SET title = title WHERE id = NEW.notice_id;
END;

CREATE TRIGGER notice_search_translation_update AFTER UPDATE ON notice_translations BEGIN
  UPDATE notices SET title = title WHERE id = NEW.notice_id;
END;

CREATE TRIGGER notice_search_translation_delete AFTER DELETE ON notice_translations BEGIN
  UPDATE notices SET title = title WHERE id = OLD.notice_id;
END;
