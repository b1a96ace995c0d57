"""Stage 3: Plan -> files, from the copier-format template."""
