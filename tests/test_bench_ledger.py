"""bench/ledger.py still runs (a tiny ledger; the real figures come from running it by hand)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "ledger.py"


def test_ledger_benchmark_runs_small(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_ledger", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    lines: list[str] = []
    figures = bench.run(
        entries=300,
        lots=5,
        url=f"sqlite:///{tmp_path / 'bench.db'}",
        instance=str(tmp_path / "instance"),
        single=20,
        out=lines.append,
    )
    assert set(figures) >= {"post", "single", "stock page", "verify"}
    assert lines[0].startswith("posted 300 entries in ")
    assert any(
        line.startswith("verify: ") and "chain intact: 320 entries" in line for line in lines
    )
