"""What users run inside a project: doctor and the load and cold-start tools."""
