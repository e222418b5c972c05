"""Backups, restores, upgrades and the board's health: what keeps a board alive for years."""
