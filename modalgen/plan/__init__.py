"""Stage 2: Spec -> Plan (every function, its resources and $ per hour), with model sizing."""
