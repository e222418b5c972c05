"""A board's life beyond one server and one team: moving house, hand-over, export, closing."""
