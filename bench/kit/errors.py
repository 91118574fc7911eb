"""The two ways a benchmark's work goes wrong."""


class BenchError(Exception):
    """The system could not be started, seeded or stopped: no measurement."""


class OpFailed(Exception):
    """One operation of the load got a wrong answer: counted and reported, not fatal."""
