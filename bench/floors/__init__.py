"""Floors: the CPU the stack itself spends on one HTTP request, with no application work.

A checkout is at least one request served by commerce, one call from commerce to the payment
partner through httpx, and one request served by the partner. This measures, on this machine and
in this run, what each of those costs when the endpoint does nothing but validate a small JSON
body and answer one:

1. serves `POST /charge` (FastAPI on uvicorn, a pydantic body, a JSON answer: the shape of the
   simulator's charge) from a process of its own;
2. calls it from this process with httpx's sync client, one call after another, then with its
   async client;
3. prints the CPU per call of the caller (`time.process_time()`) and per request of the server
   (psutil).

    python -m bench.floors [--calls 3000]

bench/README.md uses these floors to show what is left of the checkout benchmark's CPU budget.
"""

# The package: `server` (the empty endpoint, run as its own process), `__main__` (the calls).
