"""The bridge to the protocol: the board's actor documents, its ActivityPub endpoints and the
inbox handlers registered on federation's Inbox."""
