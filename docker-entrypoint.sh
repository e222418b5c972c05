#!/bin/sh
# Initialise the board on first start (idempotent), then serve it.
set -e
if [ "$1" = "serve" ]; then
  aushang init --instance "$AUSHANG_INSTANCE"
  exec aushang serve --instance "$AUSHANG_INSTANCE" --host "${AUSHANG_LISTEN:-0.0.0.0}" \
    --port "${AUSHANG_PORT:-8000}" --proxy-headers \
    --forwarded-allow-ips "${AUSHANG_FORWARDED_ALLOW_IPS:-127.0.0.1}"
fi
exec aushang "$@" --instance "$AUSHANG_INSTANCE"
