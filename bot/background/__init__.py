"""Background loops of a server process: the outbox sender, the job loop, the media keeper."""
