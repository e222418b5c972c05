"""Benchmarks: a real `aushang serve` against a bare baseline on the same stack, measured in
the same run (`make bench`, `python -m bench --help`)."""
