"""The migration engine: moves live merchants out of social's legacy in-app shop into commerce,
one merchant at a time, while buyers keep buying and sellers keep selling.

The only code that reads one system's database and writes the other's (DESIGN.md section 2,
line 4): nothing in social, commerce, payments or oversight imports it; only the command line
and its own service (:8005) do. Its journal lives in a database of its own.

    phases      a move's phases and the rules between them (pure)
    journal     the journal's tables: moves, the id map, events, progress snapshots
"""
