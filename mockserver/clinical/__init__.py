"""What the vendors' services do to clinical content, shared by the families: extraction, transcripts, audio,
notes and codes."""
