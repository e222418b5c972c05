"""`make demo`: three example boards on 127.0.0.1 over TLS that follow and share each other."""
