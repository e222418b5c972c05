"""Participation and moderation: replies, likes and boosts, mentions, residents' submissions,
votes, the moderation queue, reports, blocks and who may take part."""
