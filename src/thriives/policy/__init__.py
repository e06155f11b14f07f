"""Force-configurable policy data, versioned and validated when loaded."""
