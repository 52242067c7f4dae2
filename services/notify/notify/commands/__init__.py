"""Notify's state changes: the deliveries an event causes (`deliveries`), and the settings people change through
the API (`configuration`: templates, mailboxes, webhook subscriptions)."""
