"""Generate deterministic synthetic ICS mappings of any size, for benchmarks.

The same parameters always give the same files (a seeded random generator, sorted
output). A mapping has a catalogue of functions with dependencies, and per system:
places, neighbourhoods, an ICB with a committee per place, trusts, a collaborative,
allocations at system, place and neighbourhood level, delegations down the chain,
and a share of deliberate defects (unowned functions, gaps, cycles, bad dates) so that
`check` has findings to report.

    python benchmarks/generate.py --systems 1 -o /tmp/one-system          # about 20,000 triples
    python benchmarks/generate.py --preset 1m -o /tmp/national --ntriples  # about a million
    python benchmarks/generate.py --extremes 100000 -o /tmp/extremes       # a 100,000-step chain and cycle
    python benchmarks/generate.py --extremes 100000 --ntriples -o /tmp/x   # the same, as extremes.nt only
    python benchmarks/generate.py --preset 1m -o /tmp/national --csv-workbook  # and workbook/*.csv
    python benchmarks/generate.py --preset 1m --ending 0.02 -o /tmp/ending --ntriples  # 2% end

With --ending a share of the allocations end on 31 March 2024, half of them followed by
the same arrangement from the next day and half by nothing (a gap `function-continuity`
reports): real mappings of the transition have such ends, the generated ones otherwise
none.

With --csv-workbook the same mapping is also written as a CSV workbook (a folder of
CSV files, one per sheet, as `ics-graph import` and every other command read it): the
sheets `export --format xlsx` writes, in ``workbook/`` beside the YAML files.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

PRESETS = {
    # name: (systems, places per system, neighbourhoods per place, functions)
    "one-system": (1, 10, 8, 200),
    # one large system drawing about 1,150 nodes (the page target names 1,000-2,000)
    "large-system": (1, 15, 30, 200),
    "0.1m": (5, 10, 8, 200),
    "0.3m": (15, 10, 8, 200),
    "1m": (50, 10, 8, 200),
}
LEVELS = ("system", "place", "neighbourhood")


def _flow(mapping: dict) -> str:
    parts = []
    for key, value in mapping.items():
        if isinstance(value, list):
            value = "[" + ", ".join(value) + "]"
        elif isinstance(value, str) and (
            not value or any(c in value for c in ":,{}[]#&*!|>'\"%@`") or value[0] in "-? "
        ):
            value = '"' + value.replace('"', '\\"') + '"'
        parts.append(f"{key}: {value}")
    return "  - {" + ", ".join(parts) + "}\n"


def _section(name: str, rows: list[dict]) -> str:
    return f"{name}:\n" + "".join(_flow(r) for r in rows) if rows else ""


def _ending(row: dict, ending: float, rng: random.Random) -> list[dict]:
    """``row``, or with --ending (a share of the allocations) ``row`` ending on 31 March
    2024, and for half of those the same arrangement again from the next day (the rest
    are left in a gap): real mappings of the transition have such ends."""
    if not ending or rng.random() >= ending:
        return [row]
    ended = {**row, "effective_to": "2024-03-31"}
    return [ended, {**row, "effective_from": "2024-04-01"}] if rng.random() < 0.5 else [ended]


def generate(
    out: Path,
    systems: int,
    places: int,
    neighbourhoods: int,
    functions: int,
    dependency_density: float = 1.5,
    defect_rate: float = 0.02,
    seed: int = 1,
    ending: float = 0.0,
) -> None:
    rng = random.Random(seed)
    # its own stream, so that a mapping without endings is the same as before the option
    ending_rng = random.Random(seed + 1)
    out.mkdir(parents=True, exist_ok=True)
    levels = {}
    catalogue = []
    for i in range(functions):
        lowest = rng.choice(LEVELS)
        minimum = rng.choice(LEVELS[: LEVELS.index(lowest) + 1])
        levels[i] = (lowest, minimum)
        catalogue.append(
            {
                "id": f"f{i:04d}",
                "name": f"Function {i}",
                "category": f"Category {i % 9}",
                "holder": "icb",
                "lowest_level": lowest,
                "minimum_level": minimum,
                "icb_from": "2022-07-01",
                "synonyms": [f"F{i}"],
            }
        )
    deps = []
    for i in range(functions):
        targets = sorted({rng.randrange(functions) for _ in range(int(dependency_density))} - {i})
        # Dependencies point to lower indices only, so there is no cycle unless a defect adds one.
        targets = [t for t in targets if t < i]
        if targets:
            deps.append({"function": f"f{i:04d}", "depends_on": [f"f{t:04d}" for t in targets]})
    if defect_rate > 0 and functions > 3:
        deps.append({"function": "f0000", "depends_on": ["f0001"]})  # one cycle: f0000 <-> f0001
        deps.append({"function": "f0001", "depends_on": ["f0000"]})
    national = [
        {"id": "england", "name": "England", "level": "national"},
        {"id": "region-1", "name": "Region 1", "level": "regional", "part_of": "england"},
    ]
    (out / "catalogue.yaml").write_text(
        _section("functions", catalogue) + _section("dependencies", deps) + _section("areas", national),
        encoding="utf-8",
    )
    for s in range(systems):
        sid = f"s{s:03d}"
        areas = [
            {"id": sid, "name": f"System {s}", "level": "system", "part_of": "region-1", "valid_from": "2022-07-01"}
        ]
        bodies = [{"id": f"{sid}-icb", "name": f"NHS System {s} ICB", "type": "icb", "operates_in": [sid]}]
        trusts = []
        for t in range(3):
            kind = "nhs-trust-acute" if t < 2 else "nhs-trust-mental-health"
            trusts.append(f"{sid}-trust-{t}")
            bodies.append({"id": trusts[-1], "name": f"System {s} Trust {t}", "type": kind, "operates_in": [sid]})
        collaboratives = [
            {
                "id": f"{sid}-collab",
                "name": f"System {s} collaborative",
                "model": "lead-provider",
                "members": trusts[:-1] if rng.random() < defect_rate * 10 else trusts,
                "lead": trusts[0],
            }
        ]
        place_ids, hoods = [], {}
        for p in range(places):
            pid = f"{sid}-p{p}"
            place_ids.append(pid)
            areas.append({"id": pid, "name": f"System {s} Place {p}", "level": "place", "part_of": sid})
            bodies.append(
                {
                    "id": f"{pid}-committee",
                    "name": f"System {s} Place {p} committee",
                    "type": "place-committee",
                    "operates_in": [pid],
                    "part_of": f"{sid}-icb",
                }
            )
            bodies.append(
                {
                    "id": f"{pid}-council",
                    "name": f"System {s} Place {p} council",
                    "type": "local-authority",
                    "operates_in": [pid],
                }
            )
            hoods[pid] = []
            for n in range(neighbourhoods):
                nid = f"{pid}-n{n}"
                hoods[pid].append(nid)
                areas.append(
                    {
                        "id": nid,
                        "name": f"System {s} Place {p} Neighbourhood {n}",
                        "level": "neighbourhood",
                        "part_of": pid,
                    }
                )
                bodies.append(
                    {"id": f"{nid}-pcn", "name": f"System {s} PCN {p}.{n}", "type": "pcn", "operates_in": [nid]}
                )
        allocations, delegations = [], []
        for i, (_lowest, minimum) in levels.items():
            fid = f"f{i:04d}"
            if rng.random() < defect_rate:
                continue  # unowned in this system
            # At the minimum scale (the higher of the two floors) or, with a rationale, above it;
            # a few defects one level below it, on purpose.
            floor = LEVELS.index(minimum)
            where = minimum if rng.random() < 0.7 else rng.choice(LEVELS[: floor + 1])
            if rng.random() < defect_rate and floor + 1 < len(LEVELS):
                where = LEVELS[floor + 1]
            rationale = {"rationale": "scale"} if LEVELS.index(where) < floor else {}
            base = {"function": fid, "accountable": f"{sid}-icb", "status": "current", "effective_from": "2022-07-01"}
            if where == "system":
                allocations += _ending(
                    {**base, "area": sid, **rationale, "delivered_by": [f"{sid}-collab"]}, ending, ending_rng
                )
            else:
                for pid in place_ids:
                    if where == "place":
                        if rng.random() < defect_rate:
                            continue  # a coverage gap
                        allocations += _ending({**base, "area": pid, **rationale}, ending, ending_rng)
                        delegations.append(
                            {
                                "function": fid,
                                "from": f"{sid}-icb",
                                "to": f"{pid}-committee",
                                "area": pid,
                                "instrument": "committee-of-board",
                                "effective_from": "2022-07-01",
                            }
                        )
                    else:
                        for nid in hoods[pid]:
                            allocations += _ending({**base, "area": nid}, ending, ending_rng)
        (out / f"{sid}.yaml").write_text(
            _section("areas", areas)
            + _section("bodies", bodies)
            + _section("collaboratives", collaboratives)
            + _section("allocations", allocations)
            + _section("delegations", delegations),
            encoding="utf-8",
        )


def generate_extremes(out: Path, steps: int) -> None:
    """Two pathological shapes for robustness: a delegation chain of ``steps`` steps
    (body 0 delegates to body 1, ... to body N, then body N back to body 1: a circle of
    N bodies) and a dependency cycle of ``steps`` functions (each depends on the next,
    the last on the first). Checking them must not recurse, whatever their length."""
    out.mkdir(parents=True, exist_ok=True)
    functions = [
        {
            "id": "chained",
            "name": "Chained function",
            "category": "Test",
            "holder": "icb",
            "lowest_level": "system",
            "minimum_level": "system",
        }
    ]
    functions += [{"id": f"c{i:06d}", "name": f"Cycle {i}", "category": "Test"} for i in range(steps)]
    dependencies = [{"function": f"c{i:06d}", "depends_on": [f"c{(i + 1) % steps:06d}"]} for i in range(steps)]
    areas = [{"id": "sys", "name": "The system", "level": "system"}]
    bodies = [
        {"id": f"b{i:06d}", "name": f"Body {i}", "type": "icb" if i == 0 else "place-committee", "operates_in": ["sys"]}
        for i in range(steps + 1)
    ]
    allocations = [{"function": "chained", "area": "sys", "accountable": "b000000", "status": "current"}]
    delegations = [
        {
            "function": "chained",
            "from": f"b{i:06d}",
            "to": f"b{i + 1:06d}",
            "area": "sys",
            "instrument": "other",
        }
        for i in range(steps)
    ]
    delegations.append(
        {
            "function": "chained",
            "from": f"b{steps:06d}",
            "to": "b000001",
            "area": "sys",
            "instrument": "other",
        }
    )
    (out / "system.yaml").write_text(_section("areas", areas) + _section("allocations", allocations), encoding="utf-8")
    chunk = 10_000  # files of a size people write, rather than one 27 MB file
    for start in range(0, max(len(functions), len(bodies), len(delegations)), chunk):
        part = slice(start, start + chunk)
        (out / f"part-{start // chunk:03d}.yaml").write_text(
            _section("functions", functions[part])
            + _section("dependencies", dependencies[part])
            + _section("bodies", bodies[part])
            + _section("delegations", delegations[part]),
            encoding="utf-8",
        )


def extremes_ntriples(out: Path, steps: int) -> Path:
    """The graph :func:`generate_extremes` describes, written straight as N-Triples
    (``extremes.nt``): reading 100,000 delegations as YAML takes a minute, and the
    point here is the checking."""
    out.mkdir(parents=True, exist_ok=True)
    ics, idp = "https://w3id.org/ics-graph/ontology#", "https://w3id.org/ics-graph/id/"
    rdf_type, label = (
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
        "<http://www.w3.org/2000/01/rdf-schema#label>",
    )
    true = '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'
    lines = [
        f"<{idp}area/sys> {rdf_type} <{ics}System> .",
        f'<{idp}area/sys> {label} "The system" .',
        f"<{idp}area/sys> <{ics}level> <{ics}SystemLevel> .",
        f"<{idp}category/test> {rdf_type} <{ics}FunctionCategory> .",
        f'<{idp}category/test> {label} "Test" .',
        f"<{idp}function/chained> {rdf_type} <{ics}Function> .",
        f'<{idp}function/chained> {label} "Chained function" .',
        f"<{idp}function/chained> <{ics}category> <{idp}category/test> .",
        f"<{idp}function/chained> <{ics}lowestLevel> <{ics}SystemLevel> .",
        f"<{idp}function/chained> <{ics}minimumLevel> <{ics}SystemLevel> .",
        f"<{idp}function/chained> <{ics}statutoryHolder> <{ics}HolderICB> .",
    ]
    allocation = f"<{idp}allocation/chained--sys--b000000--always>"
    lines += [
        f"{allocation} {rdf_type} <{ics}Allocation> .",
        f"{allocation} <{ics}accountableBody> <{idp}body/b000000> .",
        f"{allocation} <{ics}area> <{idp}area/sys> .",
        f"{allocation} <{ics}function> <{idp}function/chained> .",
        f"{allocation} <{ics}status> <{ics}StatusCurrent> .",
    ]
    for i in range(steps + 1):
        body = f"<{idp}body/b{i:06d}>"
        kind = "IntegratedCareBoard" if i == 0 else "PlaceCommittee"
        lines += [
            f"{body} {rdf_type} <{ics}{kind}> .",
            f'{body} {label} "Body {i}" .',
            f"{body} <{ics}operatesIn> <{idp}area/sys> .",
        ]
    for i in range(steps):
        f = f"<{idp}function/c{i:06d}>"
        lines += [
            f"{f} {rdf_type} <{ics}Function> .",
            f'{f} {label} "Cycle {i}" .',
            f"{f} <{ics}category> <{idp}category/test> .",
            f"{f} <{ics}dependsOn> <{idp}function/c{(i + 1) % steps:06d}> .",
        ]
    for source, target in [(i, i + 1) for i in range(steps)] + [(steps, 1)]:
        d = f"<{idp}delegation/chained--b{source:06d}--b{target:06d}--sys--always>"
        lines += [
            f"{d} {rdf_type} <{ics}Delegation> .",
            f"{d} <{ics}area> <{idp}area/sys> .",
            f"{d} <{ics}delegate> <{idp}body/b{target:06d}> .",
            f"{d} <{ics}delegator> <{idp}body/b{source:06d}> .",
            f"{d} <{ics}delegatorRemainsAccountable> {true} .",
            f"{d} <{ics}function> <{idp}function/chained> .",
            f"{d} <{ics}instrument> <{ics}OtherInstrument> .",
            f"{d} <{ics}status> <{ics}StatusCurrent> .",
        ]
    path = out / "extremes.nt"
    path.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, type=Path)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="one-system")
    parser.add_argument("--systems", type=int)
    parser.add_argument("--places", type=int)
    parser.add_argument("--neighbourhoods", type=int)
    parser.add_argument("--functions", type=int)
    parser.add_argument("--dependency-density", type=float, default=1.5)
    parser.add_argument("--defect-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ending",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="the share of allocations that end on 2024-03-31 (half of them taken over the next day)",
    )
    parser.add_argument("--ntriples", action="store_true", help="also write graph.nt (the same graph as N-Triples)")
    parser.add_argument(
        "--csv-workbook",
        action="store_true",
        help="also write workbook/ (the same mapping as a folder of CSV files, one per sheet)",
    )
    parser.add_argument(
        "--extremes",
        type=int,
        metavar="STEPS",
        help="instead: a STEPS-step delegation chain and a STEPS-function dependency cycle",
    )
    args = parser.parse_args(argv)
    if args.extremes:
        if args.ntriples:
            extremes_ntriples(args.output, args.extremes)
        else:
            generate_extremes(args.output, args.extremes)
        return 0
    systems, places, hoods, functions = PRESETS[args.preset]
    generate(
        args.output,
        args.systems or systems,
        args.places or places,
        args.neighbourhoods or hoods,
        args.functions or functions,
        args.dependency_density,
        args.defect_rate,
        args.seed,
        args.ending,
    )
    if args.ntriples or args.csv_workbook:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from ics_graph.inputs.loader import load_mapping
        from ics_graph.model.turtle import to_ntriples

        mapping = load_mapping(sorted(args.output.glob("*.yaml")), with_ontology=False)
        if args.ntriples:
            (args.output / "graph.nt").write_text(to_ntriples(mapping.data_triples()), encoding="utf-8")
        if args.csv_workbook:
            write_csv_workbook(mapping, args.output / "workbook")
    return 0


def write_csv_workbook(mapping, folder: Path) -> None:
    """``mapping`` as a CSV workbook in ``folder``: one UTF-8 file per sheet of the
    workbook format, with the headers and rows ``export --format xlsx`` writes."""
    import csv

    from ics_graph.outputs.xlsx import workbook_rows

    folder.mkdir(parents=True, exist_ok=True)
    for sheet, (headers, rows) in workbook_rows(mapping).items():
        with open(folder / f"{sheet}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows(["" if value is None else value for value in row] for row in rows)


if __name__ == "__main__":
    sys.exit(main())
