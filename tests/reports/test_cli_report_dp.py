"""`report --epsilon`: noise spent from the workspace's budget, refused beyond it."""

from __future__ import annotations

import json

from tests.conftest import household


def test_epsilon_is_spent_from_the_budget_and_refused_beyond_it(cli):
    assert cli("init", "--insecure-fast-kdf").code == 0
    for i in range(6):
        cli("add", "household", "--json", "-", input=json.dumps(household(f"HH-{i:04d}")))
    out = str(cli.tmp / "r.csv")
    off = cli("report", "5w", "--out", out, "--epsilon", "1")
    assert off.code != 0 and "epsilon_budget" in off.err
    assert cli("policy", "set", "epsilon_budget", "2").code == 0
    assert cli("report", "5w", "--out", out, "--epsilon", "1").code == 0
    over = cli("report", "5w", "--out", out, "--epsilon", "1.5")
    assert over.code != 0 and "1 left of 2" in over.err
    assert len(over.err.strip().splitlines()) == 1
    assert "epsilon_budget = 2.0" in cli("policy", "show").out
