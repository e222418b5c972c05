"""Groups on a board: each its own Group actor, joined by following, posted to by addressing it."""
