"""subscriptions: plans, customers' subscriptions to them and their billing periods."""
