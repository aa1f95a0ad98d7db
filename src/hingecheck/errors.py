"""Errors the command line turns into a one-line message and an exit code."""


class InputError(Exception):
    """Bad input or usage: a missing or unreadable file, not a video, an unwritable folder,
    a malformed config, no camera. The CLI prints the message on one line and exits 2."""
