"""Helpers shared by the tests that run real processes (e2e, interop)."""
