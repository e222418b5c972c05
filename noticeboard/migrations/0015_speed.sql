-- Indexes for the hot reads at any size (each query's plan is checked in test_query_plans.py).
-- Pinned notices are few: the board's first page finds them without reading every notice.
CREATE INDEX notices_pinned ON notices (pinned, published) WHERE deleted IS NULL;
-- The board's pages walk the current notices newest first, past none of the expired ones.
CREATE INDEX notices_current ON notices (published) WHERE deleted IS NULL AND expired IS NULL;
