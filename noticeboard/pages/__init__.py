"""Pages that compose the slices' queries: the public board, feeds, calendar, search, the staff
overview."""
