//! Criterion benchmarks of the workspace.
