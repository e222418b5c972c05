"""NodeInfo 2.1: the discovery document and the schema document statistics sites read."""

from __future__ import annotations

from typing import Any

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"


def discovery(base_url: str) -> dict[str, Any]:
    """Build /.well-known/nodeinfo, linking the 2.1 document."""
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{base_url}/nodeinfo/2.1"}]}


def document(
    *, software: str, version: str, repository: str, users: int, posts: int, name: str
) -> dict[str, Any]:
    """Build a NodeInfo 2.1 document for a single-board server."""
    return {
        "version": "2.1",
        "software": {"name": software, "version": version, "repository": repository},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": posts,
        },
        "metadata": {"nodeName": name},
    }
