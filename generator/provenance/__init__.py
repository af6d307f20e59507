"""Where values come from and where they go: unused catalog values and `generator explain`."""
