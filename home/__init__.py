"""The home page (what waits for each of a person's roles), the language switch and the
navigation bar built from every blueprint's entries."""
