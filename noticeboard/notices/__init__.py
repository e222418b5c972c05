"""Notices: what staff publish (events, polls, pictures, translations) and what followers are
told about them; expiry and batched poll totals."""
