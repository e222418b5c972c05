"""Aushang: a federated neighbourhood noticeboard."""

__version__ = "0.1.0"
