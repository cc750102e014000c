"""gunicorn's access log, with the secrets that travel in paths masked.

The password-reset link (/accounts/password/reset/key/<uidb36>-<key>/) and the email-confirmation link
(/accounts/confirm-email/<key>/) carry their key in the path, and gunicorn prints the path: whoever reads the
log could reset a password. `lte run` passes `--logger-class lte.lib.accesslog.AccessLogger`; its error log
("Error handling request /accounts/…") and Django's log ("Internal Server Error: /accounts/…", through
settings.LOGGING) go through `MaskSecretPaths` too.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

MASK = "…"
# The path segment right after each of these prefixes is a secret.
SECRET_PATHS = re.compile(r"(/accounts/password/reset/key/|/accounts/confirm-email/)[^/?#\s]+")


def mask_path(path: str) -> str:
    """The path with the secret segments replaced by `…` (everything else unchanged)."""
    return SECRET_PATHS.sub(lambda match: match.group(1) + MASK, path)


class MaskSecretPaths(logging.Filter):
    """A logging filter: the record's message, once formatted, with the secret path segments masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_path(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class AccessLogger(Logger):
    """gunicorn's logger whose access-log atoms, and error-log lines, never hold a reset or confirmation key."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(MaskSecretPaths())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("U", "r"):  # the path, and the request line (which our format doesn't print either way)
            if isinstance(atoms.get(name), str):
                atoms[name] = mask_path(atoms[name])
        return atoms
