"""NodeInfo 2.0 and 2.1: the discovery document and the schema documents statistics sites read.

Mastodon links 2.0 only and some crawlers read nothing else; newer software links 2.1. Both are
served and linked."""

from __future__ import annotations

from typing import Any

SCHEMA_BASE = "http://nodeinfo.diaspora.software/ns/schema/"
VERSIONS = ("2.0", "2.1")
NODEINFO_SCHEMA = SCHEMA_BASE + "2.1"


def discovery(base_url: str) -> dict[str, Any]:
    """Build /.well-known/nodeinfo, linking the 2.0 and the 2.1 document."""
    return {
        "links": [
            {"rel": SCHEMA_BASE + version, "href": f"{base_url}/nodeinfo/{version}"}
            for version in VERSIONS
        ]
    }


def document(
    *,
    software: str,
    version: str,
    repository: str,
    users: int,
    posts: int,
    name: str,
    schema: str = "2.1",
) -> dict[str, Any]:
    """Build a NodeInfo document for a single-board server; 2.0 has no software.repository."""
    about: dict[str, str] = {"name": software, "version": version}
    if schema == "2.1":
        about["repository"] = repository
    return {
        "version": schema,
        "software": about,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": posts,
        },
        "metadata": {"nodeName": name},
    }


def content_type(schema: str) -> str:
    """Return the media type with the schema profile the NodeInfo protocol names."""
    return f'application/json; profile="{SCHEMA_BASE}{schema}#"'
