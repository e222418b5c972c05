"""News by e-mail: subscriptions with double opt-in, the weekly digest or a mail on new notices,
and the persisted queue of mails the server sends over SMTP."""
