"""Background tasks of the sync domain."""
