-- Texts stored before control characters were taken out on the way in (rule 27): the same
-- cleaning for what is already there (tab, line feed and carriage return stay), so that
-- feeds, calendars and ActivityPub documents can be built from every row. Six characters
-- per statement keep SQLite's parser stack small; NUL never passed the forms.
UPDATE notices SET title = replace(replace(replace(replace(replace(replace(title, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE title GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET title = replace(replace(replace(replace(replace(replace(title, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE title GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET title = replace(replace(replace(replace(replace(replace(title, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE title GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET title = replace(replace(replace(replace(replace(replace(title, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE title GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET title = replace(replace(replace(replace(replace(title, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE title GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE body_md GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE body_md GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE body_md GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE body_md GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET body_md = replace(replace(replace(replace(replace(body_md, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE body_md GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE body_html GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE body_html GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE body_html GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE body_html GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET body_html = replace(replace(replace(replace(replace(body_html, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE body_html GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET category = replace(replace(replace(replace(replace(replace(category, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE category GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET category = replace(replace(replace(replace(replace(replace(category, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE category GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET category = replace(replace(replace(replace(replace(replace(category, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE category GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET category = replace(replace(replace(replace(replace(replace(category, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE category GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET category = replace(replace(replace(replace(replace(category, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE category GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET place_name = replace(replace(replace(replace(replace(replace(place_name, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE place_name GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET place_name = replace(replace(replace(replace(replace(replace(place_name, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE place_name GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET place_name = replace(replace(replace(replace(replace(replace(place_name, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE place_name GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET place_name = replace(replace(replace(replace(replace(replace(place_name, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE place_name GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET place_name = replace(replace(replace(replace(replace(place_name, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE place_name GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET place_address = replace(replace(replace(replace(replace(replace(place_address, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE place_address GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET place_address = replace(replace(replace(replace(replace(replace(place_address, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE place_address GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET place_address = replace(replace(replace(replace(replace(replace(place_address, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE place_address GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET place_address = replace(replace(replace(replace(replace(replace(place_address, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE place_address GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET place_address = replace(replace(replace(replace(replace(place_address, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE place_address GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET online_url = replace(replace(replace(replace(replace(replace(online_url, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE online_url GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET online_url = replace(replace(replace(replace(replace(replace(online_url, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE online_url GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET online_url = replace(replace(replace(replace(replace(replace(online_url, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE online_url GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET online_url = replace(replace(replace(replace(replace(replace(online_url, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE online_url GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET online_url = replace(replace(replace(replace(replace(online_url, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE online_url GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET submitted_by = replace(replace(replace(replace(replace(replace(submitted_by, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE submitted_by GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET submitted_by = replace(replace(replace(replace(replace(replace(submitted_by, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE submitted_by GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET submitted_by = replace(replace(replace(replace(replace(replace(submitted_by, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE submitted_by GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET submitted_by = replace(replace(replace(replace(replace(replace(submitted_by, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE submitted_by GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET submitted_by = replace(replace(replace(replace(replace(submitted_by, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE submitted_by GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET on_behalf_of = replace(replace(replace(replace(replace(replace(on_behalf_of, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE on_behalf_of GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET on_behalf_of = replace(replace(replace(replace(replace(replace(on_behalf_of, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE on_behalf_of GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET on_behalf_of = replace(replace(replace(replace(replace(replace(on_behalf_of, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE on_behalf_of GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET on_behalf_of = replace(replace(replace(replace(replace(replace(on_behalf_of, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE on_behalf_of GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET on_behalf_of = replace(replace(replace(replace(replace(on_behalf_of, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE on_behalf_of GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notices SET origin_author = replace(replace(replace(replace(replace(replace(origin_author, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE origin_author GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notices SET origin_author = replace(replace(replace(replace(replace(replace(origin_author, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE origin_author GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notices SET origin_author = replace(replace(replace(replace(replace(replace(origin_author, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE origin_author GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notices SET origin_author = replace(replace(replace(replace(replace(replace(origin_author, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE origin_author GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notices SET origin_author = replace(replace(replace(replace(replace(origin_author, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE origin_author GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notice_translations SET title = replace(replace(replace(replace(replace(replace(title, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE title GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notice_translations SET title = replace(replace(replace(replace(replace(replace(title, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE title GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notice_translations SET title = replace(replace(replace(replace(replace(replace(title, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE title GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notice_translations SET title = replace(replace(replace(replace(replace(replace(title, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE title GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notice_translations SET title = replace(replace(replace(replace(replace(title, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE title GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notice_translations SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE body_md GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notice_translations SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE body_md GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notice_translations SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE body_md GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notice_translations SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE body_md GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notice_translations SET body_md = replace(replace(replace(replace(replace(body_md, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE body_md GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE notice_translations SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE body_html GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE notice_translations SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE body_html GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE notice_translations SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE body_html GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE notice_translations SET body_html = replace(replace(replace(replace(replace(replace(body_html, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE body_html GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE notice_translations SET body_html = replace(replace(replace(replace(replace(body_html, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE body_html GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE poll_options SET name = replace(replace(replace(replace(replace(replace(name, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE name GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE poll_options SET name = replace(replace(replace(replace(replace(replace(name, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE name GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE poll_options SET name = replace(replace(replace(replace(replace(replace(name, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE name GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE poll_options SET name = replace(replace(replace(replace(replace(replace(name, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE name GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE poll_options SET name = replace(replace(replace(replace(replace(name, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE name GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE submissions SET title = replace(replace(replace(replace(replace(replace(title, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE title GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE submissions SET title = replace(replace(replace(replace(replace(replace(title, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE title GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE submissions SET title = replace(replace(replace(replace(replace(replace(title, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE title GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE submissions SET title = replace(replace(replace(replace(replace(replace(title, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE title GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE submissions SET title = replace(replace(replace(replace(replace(title, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE title GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE submissions SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE body_md GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE submissions SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE body_md GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE submissions SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE body_md GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE submissions SET body_md = replace(replace(replace(replace(replace(replace(body_md, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE body_md GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE submissions SET body_md = replace(replace(replace(replace(replace(body_md, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE body_md GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE submissions SET author_name = replace(replace(replace(replace(replace(replace(author_name, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE author_name GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE submissions SET author_name = replace(replace(replace(replace(replace(replace(author_name, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE author_name GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE submissions SET author_name = replace(replace(replace(replace(replace(replace(author_name, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE author_name GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE submissions SET author_name = replace(replace(replace(replace(replace(replace(author_name, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE author_name GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE submissions SET author_name = replace(replace(replace(replace(replace(author_name, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE author_name GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE submissions SET contact = replace(replace(replace(replace(replace(replace(contact, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE contact GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE submissions SET contact = replace(replace(replace(replace(replace(replace(contact, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE contact GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE submissions SET contact = replace(replace(replace(replace(replace(replace(contact, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE contact GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE submissions SET contact = replace(replace(replace(replace(replace(replace(contact, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE contact GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE submissions SET contact = replace(replace(replace(replace(replace(contact, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE contact GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE remote_posts SET name = replace(replace(replace(replace(replace(replace(name, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE name GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE remote_posts SET name = replace(replace(replace(replace(replace(replace(name, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE name GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE remote_posts SET name = replace(replace(replace(replace(replace(replace(name, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE name GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE remote_posts SET name = replace(replace(replace(replace(replace(replace(name, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE name GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE remote_posts SET name = replace(replace(replace(replace(replace(name, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE name GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE remote_posts SET content_html = replace(replace(replace(replace(replace(replace(content_html, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE content_html GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE remote_posts SET content_html = replace(replace(replace(replace(replace(replace(content_html, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE content_html GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE remote_posts SET content_html = replace(replace(replace(replace(replace(replace(content_html, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE content_html GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE remote_posts SET content_html = replace(replace(replace(replace(replace(replace(content_html, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE content_html GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE remote_posts SET content_html = replace(replace(replace(replace(replace(content_html, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE content_html GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE reports SET comment = replace(replace(replace(replace(replace(replace(comment, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE comment GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE reports SET comment = replace(replace(replace(replace(replace(replace(comment, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE comment GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE reports SET comment = replace(replace(replace(replace(replace(replace(comment, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE comment GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE reports SET comment = replace(replace(replace(replace(replace(replace(comment, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE comment GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE reports SET comment = replace(replace(replace(replace(replace(comment, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE comment GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE moderation_items SET summary = replace(replace(replace(replace(replace(replace(summary, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE summary GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE moderation_items SET summary = replace(replace(replace(replace(replace(replace(summary, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE summary GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE moderation_items SET summary = replace(replace(replace(replace(replace(replace(summary, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE summary GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE moderation_items SET summary = replace(replace(replace(replace(replace(replace(summary, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE summary GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE moderation_items SET summary = replace(replace(replace(replace(replace(summary, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE summary GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE moderation_items SET reason = replace(replace(replace(replace(replace(replace(reason, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE reason GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE moderation_items SET reason = replace(replace(replace(replace(replace(replace(reason, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE reason GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE moderation_items SET reason = replace(replace(replace(replace(replace(replace(reason, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE reason GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE moderation_items SET reason = replace(replace(replace(replace(replace(replace(reason, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE reason GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE moderation_items SET reason = replace(replace(replace(replace(replace(reason, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE reason GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE audit_log SET target = replace(replace(replace(replace(replace(replace(target, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE target GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE audit_log SET target = replace(replace(replace(replace(replace(replace(target, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE target GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE audit_log SET target = replace(replace(replace(replace(replace(replace(target, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE target GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE audit_log SET target = replace(replace(replace(replace(replace(replace(target, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE target GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE audit_log SET target = replace(replace(replace(replace(replace(target, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE target GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
UPDATE audit_log SET reason = replace(replace(replace(replace(replace(replace(reason, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), '')
WHERE reason GLOB '*[' || char(1, 2, 3, 4, 5, 6) || ']*';
UPDATE audit_log SET reason = replace(replace(replace(replace(replace(replace(reason, char(7), ''), char(8), ''), char(11), ''), char(12), ''), char(14), ''), char(15), '')
WHERE reason GLOB '*[' || char(7, 8, 11, 12, 14, 15) || ']*';
UPDATE audit_log SET reason = replace(replace(replace(replace(replace(replace(reason, char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), '')
WHERE reason GLOB '*[' || char(16, 17, 18, 19, 20, 21) || ']*';
UPDATE audit_log SET reason = replace(replace(replace(replace(replace(replace(reason, char(22), ''), char(23), ''), char(24), ''), char(25), ''), char(26), ''), char(27), '')
WHERE reason GLOB '*[' || char(22, 23, 24, 25, 26, 27) || ']*';
UPDATE audit_log SET reason = replace(replace(replace(replace(replace(reason, char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(127), '')
WHERE reason GLOB '*[' || char(28, 29, 30, 31, 127) || ']*';
