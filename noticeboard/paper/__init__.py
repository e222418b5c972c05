"""Paper and the ways to follow: posters, tear-off strips, the weekly sheet, the follow page."""
