"""Benchmarks of the case core: intake over HTTP and search at a million cases (`python -m bench`)."""
