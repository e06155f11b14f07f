"""thriives: control-room and public-protection system."""
