"""spaCy pipeline of the project's own components (spaCy types stay inside this package)."""
