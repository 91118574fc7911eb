"""The demo marketplace, seeded through the services' public HTTP APIs like any operator script.

It imports neither social nor commerce and opens no database: what crosses is what the APIs allow.
"""
