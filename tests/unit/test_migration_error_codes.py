"""Every error of the migration's tree has a code of its own, in snake_case, that clients can
branch on (the service's JSON answers carry it beside the message)."""

import re

from keranjang.migration import errors


def test_each_error_of_the_tree_has_its_own_snake_case_code() -> None:
    tree = [errors.MigrationError, *errors.MigrationError.__subclasses__()]
    codes = [kind.code for kind in tree]
    assert len(tree) == 9  # the tree errors.py draws
    assert len(set(codes)) == len(codes), codes
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", c) for c in codes), codes
    assert errors.OverBudget("predicted 80 ms").code == "over_budget"
