"""The board in its network: followers, following, posts from partners, sharing and sharing
rules, deliveries that failed."""
