"""Stage 1: flags, the wizard or an answers file -> a typed, checked Spec."""
