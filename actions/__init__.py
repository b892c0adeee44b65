"""The action server: turns a recognised question into an answer from the service guide."""
