"""The compact forms events travel in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fieldledger.ledger.hlc import pack
from fieldledger.sync.wire import clock_after, clock_rise

clocks = st.lists(
    st.tuples(st.integers(0, 5000), st.integers(0, 0xFFFF)), min_size=1, max_size=40
)


@given(st.integers(1_600_000_000_000, 1_900_000_000_000), clocks)
def test_clocks_travel_as_rises_and_come_back_exact(start, steps):
    hlcs, ms = [], start
    for gap, counter in steps:
        ms += gap
        hlc = pack(ms, counter)
        if hlcs and hlc <= hlcs[-1]:
            hlc = hlcs[-1] + 1  # a chain's clock only rises
        hlcs.append(hlc)
    before, rises = 0, []
    for hlc in hlcs:
        rises.append(clock_rise(before, hlc))
        before = hlc
    back, got = 0, []
    for rise in rises:
        back = clock_after(back, rise)
        got.append(back)
    assert got == hlcs
