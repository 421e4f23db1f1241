"""Kill a writing process at random moments: every acknowledged save must survive."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldkit.store.database import Store
from fieldkit.store.records import version_id
from fieldkit.store.vault import Cipher

ROOT = Path(__file__).resolve().parent.parent

# Saves batches of records in a loop and prints "<id> <n>" once save() has returned.
# Batches vary in size (some journal lines are big, so a kill can land inside a write),
# and every so often it compacts, so a kill can also land inside a compaction.
WRITER = """
import random, sys, uuid
from pathlib import Path
from fieldkit.store.records import first_version
from fieldkit.store.database import Store
from fieldkit.store.vault import Cipher

directory, seed, key = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
cipher = Cipher(bytes.fromhex(key), b"vault-id-for-tst") if key != "-" else None
store = Store(directory, cipher=cipher)
n = 0  # this writer's run: each version takes the next number
while True:
    batch = []
    for _ in range(rng.choice([1, 1, 1, 5, 40])):
        n += 1
        batch.append(first_version(
            "visit", 1, {"n": n, "seed": seed, "text": "走访记录" * rng.randrange(1, 400)},
            author="李娜", device=f"writer{seed}", seq=n,
            record_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        ))
    store.save(batch)
    for record in batch:
        print(record["id"], record["data"]["n"], flush=True)
    if rng.random() < 0.02:
        store.compact()
"""


def acknowledged(output: Path) -> dict[str, int]:
    text = output.read_text(encoding="utf-8")
    acked = {}
    for line in text.splitlines(keepends=True):
        parts = line.split()
        if line.endswith("\n") and len(parts) == 2:  # a torn last line isn't an ack
            acked[parts[0]] = int(parts[1])
    return acked


def run_and_kill(directory: Path, output: Path, seed: int, saves: int, key: str) -> None:
    """Start a writer and kill it once it has acknowledged `saves` saves: the kill lands
    wherever the writer then is (a save, a compaction), however fast this machine is."""
    with open(output, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(directory), str(seed), key],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while len(acknowledged(output)) < saves:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the writer did not get that far"
                time.sleep(0.002)
        finally:
            proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
            proc.wait()
            proc.stderr.close()


KEY = "5f" * 32  # the data key of the encrypted run (any 32 bytes)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_every_acknowledged_save_survives_kill_9(tmp_path, encrypted):
    directory = tmp_path / "data"
    rng = random.Random(20260305)
    cipher = Cipher(bytes.fromhex(KEY), b"vault-id-for-tst") if encrypted else None
    expected: dict[str, int] = {}
    for round_no in range(8):
        output = tmp_path / f"acks-{round_no}.txt"
        run_and_kill(
            directory,
            output,
            seed=round_no,
            saves=rng.randrange(1, 300),
            key=KEY if encrypted else "-",
        )
        expected.update(acknowledged(output))

        with Store(directory, cipher=cipher) as store:
            missing = [rid for rid in expected if store.get(rid) is None]
            assert not missing, f"round {round_no}: {len(missing)} acknowledged saves lost"
            for rid, n in expected.items():
                rec = store.get(rid)
                assert rec["data"]["n"] == n and version_id(rec) == rec["version"]  # intact
            # Unacknowledged saves may or may not be there, but nothing else may be.
            assert store.count("visit") >= len(expected)
    if encrypted:  # and nothing of it is readable on disk
        for path in directory.iterdir():
            assert "走访记录".encode() not in path.read_bytes(), path
