"""Web Push subscriptions: a browser's push endpoint and keys, one per signed-in session."""
