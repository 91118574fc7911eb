"""The `keranjang` command, put together from one module per family of commands:

    serve.py      `serve NAME`: one service
    up.py         `up`: every service on one data folder, seeded, with its URLs printed
    seed.py       `seed`: a demo marketplace, into running services
    reconcile.py  `reconcile`: commerce's payments against the partner's, without the web app
    shared.py     the console, service names, the data folder option, logs on stderr

Each module has a `typer.Typer()` of its own. Loading any of them imports no part of Keranjang:
a command imports the part it works on when it runs, so `serve social` never loads commerce and
`reconcile` never loads a web framework. Keep it so in new modules.
"""

import typer

from keranjang.cli import audit, legacy, migrate, oversight, reconcile, seed, serve, up

app = typer.Typer(help="Keranjang: social commerce with promotion and transactions kept apart.")

# Commands at the top level: a sub-app added without a name puts its commands here, in this order
# (the order of `keranjang --help`).
app.add_typer(serve.app)
app.add_typer(up.app)
app.add_typer(seed.app)
app.add_typer(reconcile.app)
app.add_typer(legacy.app, name="legacy", help="The old combined app's in-app shop.")
app.add_typer(oversight.app, name="oversight", help="The regulator's monitor: evaluate the rules.")
app.add_typer(audit.app, name="audit", help="The audit log: save, export and verify it offline.")
app.add_typer(migrate.app, name="migrate", help="Move merchants from the in-app shop to commerce.")

# Families of commands come in as named sub-apps, one module each, e.g. `keranjang legacy …`:
#
#     from keranjang.cli import legacy
#     app.add_typer(legacy.app, name="legacy", help="Move a legacy shop's data into Keranjang.")
#
# and likewise `migrate`, `oversight` and `audit`.
