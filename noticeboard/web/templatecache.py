"""Compiled templates kept in the data folder, so that a restarted server does not compile
them again before its first page.

Compiling the templates of the home page costs ~65 ms of CPU; loading their compiled code
~1 ms. jinja2 keeps each template's code with a checksum of its source and the versions of
jinja2 and Python, and compiles afresh when either differs. The file names also carry a
fingerprint of the environment's options (autoescaping, whitespace, the i18n extension), which
change the compiled code without changing a template.

The folder is the board's own (`data_dir/cache/templates`, mode 0700 like the data folder): the
code in it is loaded as it is, so nobody but the board may write there.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

log = logging.getLogger("noticeboard")


def fingerprint(env: jinja2.Environment) -> str:
    """A short hash of the options that shape the compiled code of every template."""
    options = (
        sorted(env.extensions),
        env.trim_blocks,
        env.lstrip_blocks,
        env.keep_trailing_newline,
        env.newline_sequence,
        env.block_start_string,
        env.variable_start_string,
        env.comment_start_string,
        env.line_statement_prefix,
        env.optimized,
        env.policies.get("ext.i18n.trimmed"),
        [bool(env.autoescape(name)) for name in ("page.html", "feed.xml", "mail.txt")]
        if callable(env.autoescape)
        else env.autoescape,
    )
    return hashlib.sha256(repr(options).encode()).hexdigest()[:12]


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache of compiled templates in a folder of the board's; a file that
    cannot be read or written only means that its template is compiled again."""

    def __init__(self, directory: Path, env: jinja2.Environment) -> None:
        super().__init__(str(directory), f"{fingerprint(env)}-%s.cache")

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:  # the folder went away: compile
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:  # a full disk or a folder made read-only meanwhile
            log.warning("compiled template not kept: %s", exc)


def use_template_cache(env: jinja2.Environment, directory: Path) -> jinja2.Environment:
    """Keep the environment's compiled templates in `directory`, if it can be made."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("templates are compiled at each start: %s", exc)
        return env
    env.bytecode_cache = TemplateCache(directory, env)
    return env
