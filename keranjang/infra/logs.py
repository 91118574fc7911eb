"""Logging as every process of Keranjang writes it: structlog's JSON lines with the level and a
UTC timestamp. Services log on standard output; commands on standard error, so that standard
output carries their answer. No web framework here: a command that serves nothing loads none."""

import logging
import sys
from typing import TextIO

import structlog


class _CurrentStream:
    """Writes to whatever `sys.stdout` or `sys.stderr` is at the moment of writing, not at the
    moment of configuring: a test runner or a CLI runner swaps and closes those streams, and a
    logger cached with the old one would write to a closed file."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _stream(self) -> TextIO:
        stream: TextIO = getattr(sys, self.name)
        return stream

    def write(self, text: str) -> int:
        return self._stream().write(text)

    def flush(self) -> None:
        self._stream().flush()


def configure_logging(level: str = "INFO", *, to_stderr: bool = False) -> None:
    """A service (stdout) caches its loggers on first use: the hot path pays for the setup once.
    A command (stderr) does not: it may run inside another program, a test's for one, whose own
    logging setup must still reach the loggers afterwards."""
    stream = _CurrentStream("stderr" if to_stderr else "stdout")
    logging.basicConfig(format="%(message)s", level=level, stream=stream)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream),  # type: ignore[arg-type]
        cache_logger_on_first_use=not to_stderr,
    )
