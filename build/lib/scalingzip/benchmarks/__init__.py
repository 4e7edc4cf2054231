"""Benchmarks behind ``python -m scalingzip bench NAME``: each module prints a table."""
