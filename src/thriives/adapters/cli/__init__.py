"""The ``thriives`` command line."""
