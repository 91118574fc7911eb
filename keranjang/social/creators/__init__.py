"""Creators' own pages: a creator signs in with their handle and password (a signed page
cookie, throttled like every log-in) and sees their content and pins, their e-commerce
permission, and their figures (hand-offs, paid orders, commission), which social reads from
commerce's aggregate endpoint with its own service token. Only sums and counts cross."""
