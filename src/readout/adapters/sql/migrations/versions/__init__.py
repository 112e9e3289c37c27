"""Schema revisions, oldest first. Each is frozen once released: never edit one, add the next."""
