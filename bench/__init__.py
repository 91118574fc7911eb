"""Keranjang's benchmarks: each one a package run from the repository root as
`python -m bench.NAME` (`checkout`, `handoff`, `floors`), all built on the shared kit in
`bench.kit`. They print ratios against a baseline measured in the same run, and are not timed
tests. bench/README.md has the commands, the method and the figures.
"""
