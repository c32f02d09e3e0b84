"""Background tasks of the chat domain."""
