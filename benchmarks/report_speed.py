"""Report speed: the `5w` and `8+3` reports against the bare SQL GROUP BY of their figures.

Budget (issue 5): on 1,000,000 distributions and 200,000 households, each report (build,
disclosure control and linter, writer) <= 3 x the floor, both measured here on the same
encrypted store: the floor is one bare SQL GROUP BY computing the figures the 5W shows
(people reached by sector, activity, township and month, by sex, age group and disability),
and the script checks that it gives exactly the 5W builder's figures.

This measures report building, not ingest. Making a million records through the ledger
(`ws.add`) takes hours on this machine, and the reports read only the view tables. So the
store is a small demo workspace made through the ledger (`demo.fill(households=200)`:
projects, grants, tranches, spending, activities, trainings, households, people and
distributions, all with their events), multiplied by inserting rows DIRECTLY into the view
tables (households, persons, distributions, activities, trainings) with SQL, in large
transactions. Those rows have no events in the ledger behind them: the store would not sync
them or survive a `rebuild`. Their values are the demo's: households and their people are
copies of the base's (sex, birth year, age, disability, household size, displacement), each
new household placed in a village tract of the demo's four states; distributions follow the
demo's monthly rounds per village tract (`demo.aid`: one modality per tract and month,
amounts and items by household size, Thai baht in some border townships) over its 24 months,
with the base's relief and health projects and the grants live on the day; activities and
trainings are the base's, copied to other tracts and days. Personal-data columns (name,
phone, ID number, GPS) hold the sealed bytes of the base rows copied: reports never read
them. Transfer channels (a companion table) and group distributions are not multiplied:
the 5W does not read the first and counts nothing from the second.

Places: 200,000 households in the base's 8 village tracts would be 25,000 per tract, and the
5W (one row per sector, activity, township and month) would be unrealistically short, which
flatters disclosure control and the writers. By default the households are spread over
`--tracts` 400 village tracts (about 500 households each) of the demo's four states (the
base's tracts and more drawn from the same states); `--tracts 0` keeps the base's tracts.

    .venv/bin/python benchmarks/report_speed.py [--households 200000]
        [--distributions 1000000] [--tracts 400] [--repeats 3] [--keep DIR] [--pdf]
        [--profile]

`--keep DIR` keeps the built workspace in DIR/ws and reuses it when the sizes match (the
build of the full size takes minutes). Each run closes the built store and opens it again,
as `fieldledger report` would, before anything is timed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import PASSPHRASE, best_of, header, new_workspace, timed, verdict

from fieldledger import demo, privacy
from fieldledger.demo import STATES
from fieldledger.demo.aid import Links, _one, areas
from fieldledger.demo.context import MONTHS, Context
from fieldledger.places import village_tracts
from fieldledger.privacy.export import Table
from fieldledger.records import REGISTRY
from fieldledger.records.household import retention_ends
from fieldledger.reports import fivew, narrative, writers
from fieldledger.vault import layout
from fieldledger.views.companions import columns
from fieldledger.workspace import Workspace

BUDGET = 3.0
BASE_HOUSEHOLDS = 200
CHUNK = 100_000  # rows per transaction
META = ("_head", "_hlc", "_author", "_conflict", "_forgotten")


# -- the store ------------------------------------------------------------------------------


def _cols(name: str) -> tuple[str, ...]:
    return ("id", *columns(REGISTRY[name]), *META)


def _insert(ws: Workspace, name: str, rows: list[tuple]) -> None:
    """Rows straight into a view table, `CHUNK` rows a transaction."""
    cols = _cols(name)
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{REGISTRY[name].table}" ({names}) VALUES ({", ".join("?" * len(cols))})'
    for start in range(0, len(rows), CHUNK):
        ws.conn.execute("BEGIN IMMEDIATE")
        ws.conn.executemany(sql, rows[start : start + CHUNK])
        ws.conn.execute("COMMIT")


def _rows(ws: Workspace, name: str, where: str = "1") -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in _cols(name))
    return ws.conn.execute(f'SELECT {cols} FROM "{REGISTRY[name].table}" WHERE {where}').fetchall()


class _Ids:
    """Fresh record ids like the demo's (prefix and 40 random bits), never one in use."""

    def __init__(self, rng: random.Random, used: set[str]) -> None:
        self.rng, self.used = rng, used

    def __call__(self, prefix: str) -> str:
        while True:
            rid = f"{prefix}-{self.rng.getrandbits(40):010X}"
            if rid not in self.used:
                self.used.add(rid)
                return rid


def build_store(ws: Workspace, args: argparse.Namespace) -> dict[str, float]:
    """The base through the ledger, then the view tables multiplied. Returns seconds taken."""
    took = {"demo.fill (ledger)": timed(lambda: demo.fill(ws, households=BASE_HOUSEHOLDS, seed=1))}
    start = time.perf_counter()
    rng = random.Random(2)
    today = dt.date.today()
    ctx = Context(rng, today)
    used = {
        rid
        for t in ("households", "persons", "distributions", "activities", "trainings")
        for (rid,) in ws.conn.execute(f"SELECT id FROM {t}")
    }
    new_id = _Ids(rng, used)

    # Places: the base's village tracts, and more of the demo's four states.
    gazetteer = ws.places()
    base_tracts = [
        p
        for (p,) in ws.conn.execute("SELECT DISTINCT location_pcode FROM distributions ORDER BY 1")
    ]
    tracts = [gazetteer.get(p) for p in base_tracts]
    if args.tracts > len(tracts):
        others = [p for p in village_tracts(STATES) if p.pcode not in set(base_tracts)]
        tracts += rng.sample(others, k=min(len(others), args.tracts - len(tracts)))
    served = areas(ctx, tracts)  # the demo's rounds: (day, modality) per tract and month

    # What distributions point to: the base's relief and health projects and its grants.
    sectors = dict(ws.conn.execute("SELECT id, sector FROM projects"))
    projects = [
        p
        for (p,) in ws.conn.execute(
            "SELECT project_id FROM distributions WHERE household_id IS NOT NULL"
            " GROUP BY project_id ORDER BY count(*) DESC"
        )
    ]
    health = next(p for p in projects if sectors.get(p) == "community_health")
    relief = next(p for p in projects if p != health)
    grants = ws.conn.execute(
        "SELECT id, period_start, period_end FROM grants WHERE id IN"
        " (SELECT grant_id FROM distributions)"
    ).fetchall()
    links = Links(
        relief_project=relief,
        health_project=health,
        grants=[(g, dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for g, a, b in grants],
    )

    # Households and their people: copies of base households whose retention is not near
    # its end (a copy past it would be forgotten at open, one at a time).
    people: dict[str, list[tuple]] = {}
    for row in _rows(ws, "person"):
        people.setdefault(row[1], []).append(row)
    hcols = _cols("household")
    soon = today + dt.timedelta(days=400)
    templates = []
    for row in _rows(ws, "household"):
        h = dict(zip(hcols, row, strict=True))
        ends = retention_ends(h["consent_date"], h["retention_months"])
        if (ends is None or ends > soon) and h["id"] in people:
            templates.append(row)
    i_code, i_place = hcols.index("code"), hcols.index("location_pcode")
    i_size = hcols.index("size")
    n_new = args.households - BASE_HOUSEHOLDS
    households, persons, sizes, places = [], [], [], []
    for n in range(n_new):
        template = rng.choice(templates)
        hid = new_id("HH")
        tract = rng.choice(tracts)
        row = list(template)
        row[0], row[i_code], row[i_place] = hid, f"HH-{BASE_HOUSEHOLDS + n + 1:06d}", tract.pcode
        households.append(tuple(row))
        sizes.append(template[i_size] or 1)
        places.append(tract.pcode)
        for p in people[template[0]]:
            persons.append((new_id("PE"), hid, *p[2:]))

    # Distributions: exactly --distributions in all, each new household served in distinct
    # months of its tract's rounds, in date order as they would have been recorded.
    base_count = ws.conn.execute("SELECT count(*) FROM distributions").fetchone()[0]
    wanted = args.distributions - base_count
    if not 0 <= wanted <= n_new * MONTHS:
        raise SystemExit(f"--distributions: {wanted} more do not fit {n_new} households")
    dcols = _cols("distribution")
    meta = _rows(ws, "distribution", "1 LIMIT 1")[0][-len(META) :]
    distributions = []
    hids = [h[0] for h in households]
    for v in rng.sample(range(n_new * MONTHS), wanted):
        k, month = divmod(v, MONTHS)
        area = served[places[k]]
        day, modality = area.rounds[month]
        record = _one(ctx, hids[k], day, modality, sizes[k], area, links)
        record["id"] = new_id("DI")
        distributions.append(tuple(record.get(c) for c in dcols[: -len(META)]) + meta)
    distributions.sort(key=lambda r: r[dcols.index("date")])

    # Activities and trainings: the base's, copied to other tracts and days.
    extra = {}
    for name, wanted_n, day_cols in (
        ("activity", args.activities, ("date",)),
        ("training", args.trainings, ("start_date", "end_date")),
    ):
        cols = _cols(name)
        base = _rows(ws, name)
        more = max(0, wanted_n - len(base))
        rows = []
        for _ in range(more):
            row = list(rng.choice(base))
            row[0] = new_id(REGISTRY[name].id_prefix)
            row[cols.index("location_pcode")] = rng.choice(tracts).pcode
            first = dt.date.fromisoformat(row[cols.index(day_cols[0])])
            moved = ctx.day_in_month(rng.randrange(MONTHS)) - first
            for c in day_cols:
                if row[cols.index(c)] is not None:
                    row[cols.index(c)] = (
                        dt.date.fromisoformat(row[cols.index(c)]) + moved
                    ).isoformat()
            rows.append(tuple(row))
        extra[name] = rows
    took["generate rows (Python)"] = time.perf_counter() - start

    start = time.perf_counter()
    _insert(ws, "household", households)
    _insert(ws, "person", persons)
    _insert(ws, "distribution", distributions)
    for name, rows in extra.items():
        _insert(ws, name, rows)
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    took["insert into views (SQL)"] = time.perf_counter() - start
    return took


def counts(ws: Workspace) -> dict[str, int]:
    return {
        t: ws.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in (
            "households",
            "persons",
            "distributions",
            "activities",
            "trainings",
            "projects",
            "grants",
            "tranches",
            "expenditures",
        )
    }


def open_store(args: argparse.Namespace, tmp: Path) -> tuple[Workspace, dict[str, float]]:
    """The built store, opened afresh: from `--keep DIR` when it holds one of these sizes."""
    params = {
        k: getattr(args, k)
        for k in ("households", "distributions", "tracts", "activities", "trainings")
    }
    folder = Path(args.keep) if args.keep else tmp
    path, manifest = folder / "ws", folder / "report_speed.json"
    if args.keep and manifest.exists():
        kept = json.loads(manifest.read_text())
        if kept.get("params") == params:
            took = {"open kept store": 0.0}
            start = time.perf_counter()
            ws = Workspace.open(path, PASSPHRASE)
            took["open kept store"] = time.perf_counter() - start
            if counts(ws) == kept["counts"]:
                print(f"store: kept in {path} (built {kept['built']})")
                return ws, took
            ws.close()
            print("store: the kept one changed (views rebuilt?): building it again")
        shutil.rmtree(path, ignore_errors=True)
        manifest.unlink()
    elif args.keep and path.exists():
        raise SystemExit(f"--keep {folder}: {path} exists but is not this script's; remove it")
    folder.mkdir(parents=True, exist_ok=True)
    ws = new_workspace(path)
    took = build_store(ws, args)
    ws.close()
    start = time.perf_counter()
    ws = Workspace.open(path, PASSPHRASE)  # as `fieldledger report` does; forgets the expired
    took["close and open again"] = time.perf_counter() - start
    if args.keep:
        manifest.write_text(
            json.dumps(
                {"params": params, "counts": counts(ws), "built": time.strftime("%Y-%m-%d %H:%M")},
                indent=1,
            )
        )
    return ws, took


# -- the floor ------------------------------------------------------------------------------


def _case(col: str, mapping: dict[str, str]) -> str:
    return f"CASE {col} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items()) + " END"


def _participant_sums() -> str:
    """Participant counts (JSON keys) into the 5W's columns."""
    out = []
    for key in fivew.KEYS:
        names = [n for n, k in fivew.SEX_AGE_COLUMNS.items() if k == key]
        out.append(
            f"sum(CASE WHEN j.key IN ({', '.join(repr(n) for n in names)}) THEN j.value END)"
        )
    dis = ", ".join(repr(n) for n in fivew._WITH_DISABILITY)
    out.append(f"sum(CASE WHEN j.key IN ({dis}) THEN j.value END)")
    return ", ".join(out)


# One statement: people of the households each row reached (each counted once per row), the
# members a household's size counts beyond its recorded people, and the participants of
# activities and trainings, grouped by sector, activity, township and month. A township is
# the first 9 characters of a MIMU P-code at village tract level or finer.
FLOOR = f"""
WITH reached AS (
    SELECT DISTINCT
           coalesce(pr.sector, {_case("d.modality", fivew.MODALITY_SECTOR)}, 'other') AS sector,
           d.modality AS activity, substr(d.location_pcode, 1, 9) AS area,
           substr(d.date, 1, 7) AS month, d.household_id AS hh
    FROM distributions d LEFT JOIN projects pr ON pr.id = d.project_id
    WHERE d.household_id IS NOT NULL
),
members AS MATERIALIZED (
    SELECT household_id, sex, birth_year, age,
           coalesce((SELECT max(value) FROM json_each(disability)) >= 3, 0) AS disabled
    FROM persons
),
missing AS (
    SELECT h.id AS hh, max(coalesce(h.size, 0) - count(m.household_id), 0) AS n
    FROM households h LEFT JOIN members m ON m.household_id = h.id GROUP BY h.id
),
people AS (
    SELECT r.sector, r.activity, r.area, r.month, m.sex, m.disabled,
           CASE WHEN m.birth_year IS NOT NULL
                THEN CAST(substr(r.month, 1, 4) AS INTEGER) - m.birth_year
                ELSE m.age END AS age
    FROM reached r JOIN members m ON m.household_id = r.hh
),
cells AS (
    SELECT sector, activity, area, month,
        sum(sex = 'female' AND age BETWEEN 0 AND 17) AS f_children,
        sum(sex = 'female' AND age BETWEEN 18 AND 59) AS f_adults,
        sum(sex = 'female' AND age >= 60) AS f_elderly,
        sum(sex = 'male' AND age BETWEEN 0 AND 17) AS m_children,
        sum(sex = 'male' AND age BETWEEN 18 AND 59) AS m_adults,
        sum(sex = 'male' AND age >= 60) AS m_elderly,
        sum(sex = 'other' AND (age IS NULL OR age >= 0)) AS other,
        sum((age IS NULL OR age >= 0) AND (sex NOT IN ('female', 'male', 'other')
            OR (sex IN ('female', 'male') AND age IS NULL))) AS unknown,
        sum(disabled AND (age IS NULL OR age >= 0)) AS disabled
    FROM people GROUP BY sector, activity, area, month
    UNION ALL
    SELECT r.sector, r.activity, r.area, r.month, 0, 0, 0, 0, 0, 0, 0, sum(x.n), 0
    FROM reached r JOIN missing x ON x.hh = r.hh WHERE x.n > 0
    GROUP BY r.sector, r.activity, r.area, r.month
    UNION ALL
    SELECT coalesce(pr.sector, 'other'), a.kind, substr(a.location_pcode, 1, 9),
           substr(a.date, 1, 7), {_participant_sums()}
    FROM activities a LEFT JOIN projects pr ON pr.id = a.project_id, json_each(a.participants) j
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT coalesce(pr.sector, {_case("t.topic", fivew.TOPIC_SECTOR)}, 'other'),
           'training_' || t.topic, substr(t.location_pcode, 1, 9),
           substr(t.start_date, 1, 7), {_participant_sums()}
    FROM trainings t LEFT JOIN projects pr ON pr.id = t.project_id, json_each(t.participants) j
    GROUP BY 1, 2, 3, 4
)
SELECT sector, activity, area, month, sum(f_children), sum(f_adults), sum(f_elderly),
       sum(m_children), sum(m_adults), sum(m_elderly), sum(other), sum(unknown), sum(disabled)
FROM cells GROUP BY sector, activity, area, month
"""

# What the 8+3 adds to the 5W's figures: the finance report's sums (grants, tranches, spending).
FLOOR_FINANCE = (
    "SELECT g.id, g.amount, g.currency, (SELECT sum(received_amount) FROM tranches t"
    " WHERE t.grant_id = g.id), (SELECT count(*) FROM tranches t WHERE t.grant_id = g.id),"
    " e.currency, sum(e.amount) FROM grants g LEFT JOIN expenditures e ON e.grant_id = g.id"
    " GROUP BY g.id, e.currency"
)


def floor_rows(ws: Workspace) -> list[tuple]:
    return ws.conn.execute(FLOOR).fetchall()


def same_figures(floor: list[tuple], table: Table) -> tuple[int, int]:
    """(rows that agree, rows in all): the floor's figures against the 5W table before
    disclosure control, keyed by sector, activity, township P-code and month."""
    hxl = [c.hxl for c in table.columns]
    at = {tag: hxl.index(tag) for tag in ("#sector", "#activity", "#adm3+code", "#date")}
    tags = [t for _, t, *_ in fivew.REACHED] + ["#reached+disabled"]
    built = {
        tuple(r[at[t]] for t in ("#sector", "#activity", "#adm3+code", "#date")): tuple(
            r[hxl.index(t)] for t in tags
        )
        for r in table.rows
    }
    mine = {tuple(r[:4]): tuple(int(v or 0) for v in r[4:]) for r in floor if any(r[4:12])}
    agree = sum(1 for k, v in mine.items() if built.get(k) == v)
    return agree, max(len(mine), len(built))


# -- the reports ----------------------------------------------------------------------------


def run_5w(ws: Workspace, lang: str, exact: list[Any] | None = None) -> dict[str, float]:
    """One 5W: build, prepare, write_xlsx, timed apart. `exact` (when given and empty)
    receives the 5W table as built, before disclosure control (copied outside the timing)."""
    t0 = time.perf_counter()
    export = fivew.build(ws, None, None, lang=lang)
    t1 = time.perf_counter()
    built = len(export.tables[0].rows)
    if exact is not None and not exact:
        table = export.tables[0]
        exact.append(Table(table.name, list(table.columns), [list(r) for r in table.rows]))
    t1b = time.perf_counter()
    privacy.prepare(ws, export)
    t2 = time.perf_counter()
    data = writers.write_xlsx(export)
    t3 = time.perf_counter()
    return {
        "build": t1 - t0,
        "prepare": t2 - t1b,
        "write_xlsx": t3 - t2,
        "bytes": len(data),
        "built": built,
        "rows": len(export.tables[0].rows),
    }


def run_83(ws: Workspace, lang: str, core: list[str], pdf: bool) -> dict[str, float]:
    t0 = time.perf_counter()
    export = narrative.build(ws, None, None, lang=lang, questions=core)
    t1 = time.perf_counter()
    privacy.prepare(ws, export)
    t2 = time.perf_counter()
    page = narrative.render_html(export, lang=lang)
    t3 = time.perf_counter()
    out = {"build": t1 - t0, "prepare": t2 - t1, "render_html": t3 - t2, "bytes": len(page)}
    if pdf:
        out["pdf_bytes"] = len(narrative.pdf_from_html(page))
        out["render_pdf"] = time.perf_counter() - t3
    return out


def best_run(
    repeats: int, run: Any, steps: tuple[str, ...]
) -> tuple[dict[str, float], list[float]]:
    """The run with the shortest total over `steps`, and every run's total."""
    runs = []
    for n in range(repeats):
        runs.append(run())
        shown = ", ".join(f"{s} {runs[-1][s]:.2f} s" for s in steps)
        print(f"  run {n + 1}: {shown}", flush=True)
    totals = [sum(r[s] for s in steps) for r in runs]
    return runs[totals.index(min(totals))], totals


def builder_sql(ws: Workspace) -> int:
    """The 5W builder's own SQL for all records: its scans of distributions, persons and
    households (`fivew._REACHED`, `fivew._MEMBERS`), read to the end. The rest of the build
    is grouping in Python, and the activities and trainings."""
    n = 0
    for sql in (
        fivew._REACHED.format(where="1"),
        fivew._MEMBERS,
        "SELECT id, size FROM households",
    ):
        for _ in ws.conn.execute(sql):
            n += 1
    return n


def profile(label: str, fn: Any, top: int = 18) -> None:
    prof = cProfile.Profile()
    prof.runcall(fn)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime")
    stats.print_stats(top)
    print(f"\nprofile of one {label} run (by own time):")
    lines = out.getvalue().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    print("\n".join(lines[start - 1 : start + top + 1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--distributions", type=int, default=1_000_000)
    parser.add_argument("--tracts", type=int, default=400, help="0: the base's tracts only")
    parser.add_argument("--activities", type=int, default=None, help="default households/60")
    parser.add_argument("--trainings", type=int, default=None, help="default 4 + households/40")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lang", default="en", choices=narrative.LANGS)
    parser.add_argument("--keep", metavar="DIR", help="keep the built store in DIR and reuse it")
    parser.add_argument("--pdf", action="store_true", help="also time the 8+3 PDF (no budget)")
    parser.add_argument("--profile", action="store_true", help="profile even when both pass")
    args = parser.parse_args()
    if args.households < BASE_HOUSEHOLDS:
        raise SystemExit(f"--households: at least {BASE_HOUSEHOLDS} (the base)")
    if args.activities is None:
        args.activities = args.households // 60  # the demo's ~20 per project, 2 per 2,500
    if args.trainings is None:
        args.trainings = 4 + args.households // 40  # the demo's rule
    header("report_speed")

    with tempfile.TemporaryDirectory() as tmp:
        ws, took = open_store(args, Path(tmp))
        try:
            return measure(ws, args, took)
        finally:
            ws.close()


def measure(ws: Workspace, args: argparse.Namespace, took: dict[str, float]) -> int:
    found = counts(ws)
    size = layout.store_path(ws.path).stat().st_size
    print("store: " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
    print(f"store file: {size / 2**20:,.0f} MiB (SQLCipher)")
    places = ws.conn.execute(
        "SELECT count(DISTINCT location_pcode), count(DISTINCT substr(location_pcode, 1, 9))"
        " FROM households"
    ).fetchone()
    print(f"places: {places[0]} village tracts in {places[1]} townships")
    for step, seconds in took.items():
        print(f"  {step}: {seconds:.1f} s")

    floor_s = best_of(args.repeats, lambda: timed(lambda: floor_rows(ws)))
    finance_s = best_of(
        args.repeats, lambda: timed(lambda: ws.conn.execute(FLOOR_FINANCE).fetchall())
    )
    floor = floor_rows(ws)
    print(
        f"floor (one SQL GROUP BY, 5W figures): {floor_s:.3f} s, {len(floor):,} groups; "
        f"+ finance sums {finance_s * 1000:.1f} ms",
        flush=True,
    )

    core = [q.id for q in narrative.load_template().questions if q.section == "2"]
    exact: list[Table] = []
    steps5, steps8 = ("build", "prepare", "write_xlsx"), ("build", "prepare", "render_html")
    print("5W runs:", flush=True)
    five, runs5 = best_run(args.repeats, lambda: run_5w(ws, args.lang, exact), steps5)
    agree, total = same_figures(floor, exact[0])
    print("8+3 runs:", flush=True)
    eight, runs8 = best_run(args.repeats, lambda: run_83(ws, args.lang, core, args.pdf), steps8)
    statement = timed(lambda: builder_sql(ws))  # one run: where the build's time goes
    floor_83 = floor_s + finance_s
    t5, t8 = (sum(r[s] for s in steps) for r, steps in ((five, steps5), (eight, steps8)))

    print(
        f"\n5W: {five['built']:,} rows built, {five['rows']:,} after disclosure control, "
        f"{five['bytes']:,} bytes of XLSX; best of {args.repeats} (totals "
        + ", ".join(f"{x:.2f}" for x in runs5)
        + " s):"
    )
    for step in steps5:
        print(f"  {step:<12} {five[step]:8.3f} s  {five[step] / floor_s:6.2f} x floor")
    print(f"  {'total':<12} {t5:8.3f} s  {t5 / floor_s:6.2f} x floor")
    print(
        f"  of build: the builder's SQL scans alone {statement:.3f} s "
        f"({statement / floor_s:.2f} x floor), one run"
    )
    print(
        f"8+3: core questions {core[0]}..{core[-1]}, {eight['bytes']:,} bytes of HTML; "
        f"best of {args.repeats} (totals " + ", ".join(f"{x:.2f}" for x in runs8) + " s):"
    )
    for step in steps8:
        print(f"  {step:<12} {eight[step]:8.3f} s  {eight[step] / floor_83:6.2f} x floor")
    print(f"  {'total':<12} {t8:8.3f} s  {t8 / floor_83:6.2f} x floor (5W figures + finance sums)")
    if args.pdf:
        print(
            f"  PDF from the HTML (no budget): {eight['render_pdf']:.3f} s, "
            f"{eight['pdf_bytes']:,} bytes"
        )
    print(f"floor figures = the 5W builder's, before disclosure control: {agree:,} of {total:,}")

    ok = verdict("5w <= 3 x the bare GROUP BY", t5 <= BUDGET * floor_s, f"{t5 / floor_s:.2f} x")
    ok &= verdict("8+3 <= 3 x the bare GROUP BY", t8 <= BUDGET * floor_83, f"{t8 / floor_83:.2f} x")
    ok &= verdict("the floor gives the 5W's figures", agree == total, f"{agree} of {total} rows")
    if not ok or args.profile:
        profile("5W", lambda: run_5w(ws, args.lang))
        profile("8+3", lambda: run_83(ws, args.lang, core, False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
