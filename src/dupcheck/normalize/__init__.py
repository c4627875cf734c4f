"""Identity normalisation (placeholder while the package is built)."""
