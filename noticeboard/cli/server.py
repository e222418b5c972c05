"""Setting up and running a board: init and serve."""

from __future__ import annotations

import argparse
import asyncio
import os

from noticeboard.accounts.service import USERNAME_PATTERN
from noticeboard.app import create_app
from noticeboard.cli.base import AddCommand, Handler, UsageError, with_state
from noticeboard.config import Config
from noticeboard.serving import BoardServer, server_config
from noticeboard.state import initialise

SHUTDOWN_GRACE = 5  # seconds


def register(command: AddCommand) -> dict[str, Handler]:
    init = command(
        "init", "Create the data folder, database, keys and first owner account (safe to repeat)."
    )
    init.add_argument(
        "--admin",
        metavar="NAME",
        default="",
        help="the first account's user name (default: staff.first_owner of the configuration, "
        "else a made-up name)",
    )
    serve = command("serve", "Run the board's web server with its delivery worker.")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--ssl-certfile", metavar="FILE", help="serve https with this certificate")
    serve.add_argument("--ssl-keyfile", metavar="FILE", help="the certificate's private key")
    serve.add_argument(
        "--proxy-headers", action="store_true", help="trust X-Forwarded-* from the reverse proxy"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="comma-separated proxy addresses trusted with --proxy-headers (default 127.0.0.1)",
    )
    return {"init": run_init, "serve": run_serve}


def run_init(config: Config, args: argparse.Namespace) -> int:
    name = args.admin.strip().lower()
    if name and not USERNAME_PATTERN.fullmatch(name):
        raise UsageError("--admin: 2 to 32 small letters, digits, dots, dashes or underscores")
    result = asyncio.run(initialise(config, os.environ.get("AUSHANG_ADMIN_PASSWORD"), admin=name))
    print(f"Board '{config.name}' is ready in {config.data_dir}")
    if result.created_admin:
        print(f"First admin account: {result.created_admin}")
        if result.admin_password:
            print(f"Password (shown only now, please write it down): {result.admin_password}")
        else:
            print("Password: the one given in AUSHANG_ADMIN_PASSWORD")
    else:
        print(f"Owner accounts: {', '.join(result.owners) or '-'}")
        if os.environ.get("AUSHANG_ADMIN_PASSWORD") is None:
            print("Staff accounts exist already; passwords are not shown again.")
    print(f"Staff sign in at {config.base_url}/login")
    print(f"Residents follow it from Mastodon as {config.handle}")
    return 0


def run_serve(config: Config, args: argparse.Namespace) -> int:
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise UsageError("--ssl-certfile and --ssl-keyfile go together")
    with_state(config, lambda state: asyncio.sleep(0))  # fail early and clearly if not ready
    app = create_app(config)
    scheme = "https" if args.ssl_certfile else "http"
    print(
        f"Aushang serves '{config.name}' on {scheme}://{args.host}:{args.port}/ "
        f"(public address {config.base_url}/)",
        flush=True,
    )
    server = server_config(
        app,
        config.server,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips if args.proxy_headers else None,
        log_level="info",
        server_header=False,
        # An idle keep-alive connection of a partner's client can hold a TLS shutdown for
        # asyncio's 30 s; requests still under way get this long, deliveries their own grace.
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
    )
    BoardServer(server).run()
    return 0
