"""Adapters at the edge: storage, web, command line."""
