"""The one scheduler process: its lock, its jobs and `flask scheduler …`."""
