"""Staff accounts: sign-in, roles, invitations, passwords, and the audit log."""
