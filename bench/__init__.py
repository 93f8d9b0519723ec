"""Benchmarks of the mock and the contract suite: `./run bench` (or `python -m bench`).

Every figure is read next to a reference measured in the same run (a bare
Flask app on the same server, Prism, a plain Schemathesis loop), because the
machines this runs on are shared and noisy: only ratios carry over.
"""
