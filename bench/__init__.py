"""Benchmarks: each `bench_<area>.py` has `main()` that prints its figures and ratios against a baseline."""
