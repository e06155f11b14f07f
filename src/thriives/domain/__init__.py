"""Pure rules of the control room: standard library only, no I/O, time passed in."""
