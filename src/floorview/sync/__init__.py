"""The client side of the feed protocol: pull, push, backoff, state."""
