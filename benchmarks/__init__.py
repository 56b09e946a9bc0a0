"""pyx86 benchmarks (pytest-benchmark); run them by naming this folder, see README.md."""
