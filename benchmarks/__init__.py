"""Performance benchmark of the planner: a seeded case generator, four peers, a harness and a profiler.

``python -m benchmarks.run [--quick]`` (``make bench``) prints the tables and writes
``benchmarks/results.json``; ``python -m benchmarks.profile`` shows where the planner spends its time on the
12x100x15 case.
"""
