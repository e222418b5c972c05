"""What every web route shares: rendering, the staff guard with CSRF-checked forms, path
types."""
