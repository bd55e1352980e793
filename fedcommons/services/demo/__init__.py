"""A demonstration node: sample people and work, made only when someone asks for a demo."""
