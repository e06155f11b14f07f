"""Use-cases: load, decide with the domain, save, journal (event and audit), commit."""
