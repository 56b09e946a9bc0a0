"""Conformance runner for the SingleStepTests single-instruction CPU vectors.

The vectors live in ``../shared/cpu-tests/8086`` and ``.../80286`` (see the
README there).  Each ``<stem>.json.gz`` file holds one test per line: initial
registers and memory, the instruction bytes, and the expected registers and
memory afterwards.  This module loads every test into a :class:`CPU`, runs it
the way the README prescribes and compares the result::

    python -m emulator.cpu.conformance ../shared/cpu-tests/8086
    python -m emulator.cpu.conformance ../shared/cpu-tests/80286 --only 00 F7.6 --verbose

How a test is run:

* **8086** (``--cpu 8086``): exactly one instruction, including its prefixes.
  The core's ``run(1)`` retires one instruction, but counts one iteration of a
  ``REP`` string instruction as one instruction and leaves IP on the
  instruction until the last iteration.  So for an instruction whose prefixes
  include ``REP``/``REPNE`` and whose opcode is a string instruction, the runner
  keeps stepping while CS:IP still points at the instruction's first byte
  (it stops at once for every other instruction, so a jump to itself such as
  ``EB FE`` or ``LOOP $`` is still one step).  ``INT n`` and divide errors are
  delivered inside the same step, which is what the 8086 vectors expect (CS:IP
  at the handler's first byte).
* **80286** (and later models): the generator put a ``HLT`` after the
  instruction and at every jump/interrupt target, so the runner runs until
  the core reports ``EXIT_HLT`` (at most :data:`MAX_286_INSNS` instructions).
  FLAGS are loaded as ``flags & 0x0FFF | 2``, as on the real chip.
* ``IN``/``INS`` read ``0xFF``/``0xFFFF`` (answered after ``EXIT_IO_IN``);
  ``OUT`` values are ignored.

How results are compared: every register of ``initial.regs`` updated with
``final.regs`` (FLAGS under the file's undefined-flag mask from
``index.json``), and every byte of ``initial.ram`` updated with ``final.ram``.
When the instruction pushed FLAGS (an exception or ``INT n``), the two bytes
of that FLAGS image (at the final SS:SP+4) are compared under the same mask.  Tests whose hash is in
``revocation_list.txt`` are skipped.

For speed the CPU is created once per suite; before each test its state array
is restored from a snapshot taken after reset, and after each test only the
bytes the test listed are cleared again (the whole RAM is cleared after a
failing test, in case the core wrote somewhere unexpected).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

try:  # orjson is several times faster than json for the ~240k test lines
    from orjson import loads as _loads
except ImportError:  # pragma: no cover
    _loads = json.loads

from . import state as S

# --- constants ---------------------------------------------------------------
REG_NAMES = ("ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags")
_REG_SLOTS = np.array([S.EAX, S.EBX, S.ECX, S.EDX, S.SEL + S.CS, S.SEL + S.SS, S.SEL + S.DS,
                       S.SEL + S.ES, S.ESP, S.EBP, S.ESI, S.EDI, S.EIP, S.EFLAGS], dtype=np.int64)
_SEG_BASE_SLOTS = np.array([S.BASE + S.CS, S.BASE + S.SS, S.BASE + S.DS, S.BASE + S.ES],
                           dtype=np.int64)
_FLAGS_POS = REG_NAMES.index("flags")
_IP_POS = REG_NAMES.index("ip")
_CS_POS = REG_NAMES.index("cs")
_SS_POS = REG_NAMES.index("ss")
_SP_POS = REG_NAMES.index("sp")

RAM_SIZE = 0x110000          # 1 MiB + 64 KiB: the 286 tests reach FFFF:FFFF
MAX_286_INSNS = 600          # run-until-HLT cap (REP counts are at most 127)
MAX_8086_REP_STEPS = 70000   # REP iterations of one 8086 string instruction
IO_READ_VALUE = 0xFFFF       # what every IN/INS reads (masked to the access size)

# prefixes the runner skips to find the opcode (8086: F1 is a LOCK alias)
_PREFIXES = frozenset((0x26, 0x2E, 0x36, 0x3E, 0xF0, 0xF1, 0xF2, 0xF3))
_STRING_OPS = frozenset((0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF))
# 8086 files whose tests push FLAGS (INT3, INT n, INTO, divide errors)
_8086_PUSHING = frozenset(("CC", "CD", "CE", "D4", "F6.6", "F6.7", "F7.6", "F7.7"))


# --- results -------------------------------------------------------------------
@dataclass
class Failure:
    """One failing test: where to find it and what differed."""

    file: str
    idx: int
    name: str
    bytes_hex: str
    diffs: list[str]

    def reason(self) -> str:
        """The differences on one line (for listings)."""
        return "; ".join(self.diffs)

    def __str__(self) -> str:
        return f"{self.file} #{self.idx} [{self.bytes_hex}] {self.name}: {self.reason()}"


@dataclass
class FileResult:
    """Counts for one ``<stem>.json.gz`` file."""

    stem: str
    passed: int = 0
    total: int = 0
    skipped: int = 0

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 100.0


@dataclass
class SuiteResult:
    """The outcome of :func:`run_suite`."""

    directory: str
    set_name: str                    # the directory's name, e.g. "8086" or "80286"
    model: str
    files: dict[str, FileResult] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(f.passed for f in self.files.values())

    @property
    def total(self) -> int:
        return sum(f.total for f in self.files.values())

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files.values())

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 100.0

    def failure_keys(self) -> set[tuple[str, str, int]]:
        """``(set, stem, idx)`` of every failure (the known-failures list format)."""
        return {(self.set_name, f.file, f.idx) for f in self.failures}


# --- loading -----------------------------------------------------------------------
def iter_tests(path: str | os.PathLike):
    """Yield the tests of one ``.json.gz`` file (one JSON object per line)."""
    with gzip.open(path, "rb") as fh:
        for line in fh:
            line = line.strip()
            if not line.startswith(b"{"):
                continue  # the "[" and "]" lines of the array
            if line.endswith(b","):
                line = line[:-1]
            yield _loads(line)


def load_index(directory: str | os.PathLike) -> dict:
    """``index.json`` of a test folder (empty dict if absent)."""
    p = Path(directory) / "index.json"
    return json.loads(p.read_text()) if p.exists() else {}


def load_revoked(directory: str | os.PathLike) -> set[str]:
    """Hashes listed in ``revocation_list.txt`` (lines of hex; ``#`` comments)."""
    p = Path(directory) / "revocation_list.txt"
    revoked: set[str] = set()
    if p.exists():
        for line in p.read_text().splitlines():
            word = line.split("#", 1)[0].strip().strip('",[]').lower()
            if word and all(c in "0123456789abcdef" for c in word):
                revoked.add(word)
    return revoked


def default_model(directory: str | os.PathLike) -> str:
    """``8086`` when the folder's ``index.json`` says so, else ``286``."""
    return "8086" if str(load_index(directory).get("cpu", "")) == "8086" else "286"


def list_stems(directory: str | os.PathLike) -> list[str]:
    """Stems of every ``<stem>.json.gz`` in ``directory``, sorted by opcode."""
    def key(stem: str):
        head, _, reg = stem.partition(".")
        try:
            return (int(head, 16), int(reg or -1))
        except ValueError:
            return (1 << 30, stem)
    names = [p.name[: -len(".json.gz")] for p in Path(directory).glob("*.json.gz")]
    return sorted(names, key=key)


# --- the runner ------------------------------------------------------------------------
class Runner:
    """Runs single tests on one CPU instance (created once; compiles the core on first use)."""

    def __init__(self, model: str) -> None:
        from .cpu import CPU  # imported here so that --help works without compiling the core

        self.cpu = CPU(ram_size=RAM_SIZE, model=model)
        self.is_8086 = self.cpu.model.name == "8086"
        self.st = self.cpu.st
        self.ram = self.cpu.ram
        self.template = self.cpu.st.copy()  # the power-on state, restored before each test
        self.ram[:] = 0

    def run_test(self, t: dict, stem: str, flags_mask: int) -> list[str]:
        """Run one test; return its differences (empty list = pass)."""
        st, ram = self.st, self.ram
        init = t["initial"]
        iregs = init["regs"]
        vals = [iregs[n] for n in REG_NAMES]
        if not self.is_8086:
            vals[_FLAGS_POS] = (vals[_FLAGS_POS] & 0x0FFF) | 2

        # --- load state: registers and the listed memory bytes
        st[:] = self.template
        st[_REG_SLOTS] = vals
        st[_SEG_BASE_SLOTS] = [vals[4] << 4, vals[5] << 4, vals[6] << 4, vals[7] << 4]
        iram = init["ram"]
        expected = dict(iram)
        addrs0 = [a for a, _ in iram]
        ram[addrs0] = [v for _, v in iram]

        # --- execute
        try:
            err = self._execute_8086(t) if self.is_8086 else self._execute_until_hlt()
        except Exception as exc:  # a Python-level error in the core or the wrapper
            err = f"exception {type(exc).__name__}: {exc}"

        # --- compare registers
        exp = list(vals)
        for name, v in t["final"]["regs"].items():
            exp[REG_NAMES.index(name)] = v
        got = st[_REG_SLOTS].tolist()
        diffs = [err] if err else []
        if got != exp:
            high = ~0xFFFF
            for i, name in enumerate(REG_NAMES):
                g, e = got[i], exp[i]
                if i == _FLAGS_POS:
                    if (g ^ e) & (flags_mask | high):
                        diffs.append(f"reg flags: got {g:04x} expected {e:04x}"
                                     f" (differ {(g ^ e) & (flags_mask | high):04x})")
                elif g != e:
                    diffs.append(f"reg {name}: got {g:04x} expected {e:04x}")

        # --- compare memory (every listed byte; the pushed FLAGS image under the mask)
        fram = t["final"]["ram"]
        expected.update(fram)
        addrs = list(expected)
        gotm = ram[addrs].tolist()
        expm = list(expected.values())
        if gotm != expm:
            fmask = {}
            if flags_mask != 0xFFFF:
                fa = self._flags_address(t, stem, exp)
                if fa is not None:
                    fmask = {fa[0]: flags_mask & 0xFF, fa[1]: flags_mask >> 8}
            for a, g, e in zip(addrs, gotm, expm):
                if (g ^ e) & fmask.get(a, 0xFF):
                    diffs.append(f"mem 0x{a:05x}: got {g:02x} expected {e:02x}")

        # --- undo: clear what this test touched (everything, if something went wrong)
        if diffs:
            ram[:] = 0
        else:
            ram[addrs] = 0
        return diffs

    def _flags_address(self, t: dict, stem: str, exp: list[int]) -> tuple[int, int] | None:
        """Physical addresses of the FLAGS image's two bytes, if the instruction pushed one.

        The handler's stack holds IP, CS, FLAGS, so FLAGS is at final SS:SP+4.  The
        80286 ``exception.flag_address`` is that address rounded down to even (the
        bus address of the word write), so it is only used to know a push happened.
        """
        if "exception" not in t:
            if not (self.is_8086 and stem in _8086_PUSHING):
                return None
            if (t["initial"]["regs"]["sp"] - exp[_SP_POS]) & 0xFFFF != 6:
                return None  # no FLAGS, CS, IP pushed (e.g. a DIV that did not fault)
        base, sp = exp[_SS_POS] << 4, exp[_SP_POS]
        wrap = 0xFFFFF if self.is_8086 else 0xFFFFFF
        return (base + ((sp + 4) & 0xFFFF)) & wrap, (base + ((sp + 5) & 0xFFFF)) & wrap

    def _execute_8086(self, t: dict) -> str:
        """Execute exactly one instruction; a REP string instruction runs to its end."""
        cpu, st = self.cpu, self.st
        code = t["bytes"]
        i = 0
        rep = False
        while i < len(code) and code[i] in _PREFIXES:
            rep |= code[i] in (0xF2, 0xF3)
            i += 1
        rep_string = rep and i < len(code) and code[i] in _STRING_OPS
        ip0, cs0 = int(st[S.EIP]), int(st[S.SEL + S.CS])
        steps = 0
        while True:
            r = cpu.run(1)
            if r == S.EXIT_IO_IN:          # the IN restarts with the value supplied
                cpu.complete_in(IO_READ_VALUE)
                continue
            if r not in (S.EXIT_BUDGET, S.EXIT_IO_OUT, S.EXIT_HLT):
                return self._exit_error(r)
            steps += 1
            # One step per REP iteration: the core leaves IP on the instruction until
            # the count runs out (or REPE/REPNE stops it), then moves past it.
            if not rep_string or st[S.EIP] != ip0 or st[S.SEL + S.CS] != cs0:
                return ""
            if steps >= MAX_8086_REP_STEPS:
                return f"REP did not finish after {steps} steps"

    def _execute_until_hlt(self) -> str:
        """Run until the core executes a HLT (the test generator placed one after everything)."""
        cpu, st = self.cpu, self.st
        icount0 = int(st[S.ICOUNT])
        for _ in range(4 * MAX_286_INSNS):
            left = MAX_286_INSNS - (int(st[S.ICOUNT]) - icount0)
            if left <= 0:
                break
            r = cpu.run(left)
            if r == S.EXIT_HLT:
                return ""
            if r == S.EXIT_IO_IN:
                cpu.complete_in(IO_READ_VALUE)
            elif r == S.EXIT_IO_OUT:
                pass
            elif r != S.EXIT_BUDGET:
                return self._exit_error(r)
        return f"no HLT within {MAX_286_INSNS} instructions"

    def _exit_error(self, r: int) -> str:
        name = S.EXIT_NAMES[r] if 0 <= r < len(S.EXIT_NAMES) else str(r)
        return f"exit {name} at {self.cpu.exit_location()} ({self.cpu.code_bytes(6).hex()})"


def run_suite(directory: str | os.PathLike, model: str | None = None,
              only: list[str] | None = None, progress=None) -> SuiteResult:
    """Run every test file in ``directory`` (or only the stems in ``only``) on ``model``.

    ``progress(file_result)`` is called after each file, if given.
    """
    directory = Path(directory)
    index = load_index(directory)
    by_file = index.get("by_file", {})
    model = model or default_model(directory)
    stems = list_stems(directory)
    if only:
        missing = [s for s in only if s not in stems]
        if missing:
            raise FileNotFoundError(f"no test file for {', '.join(missing)} in {directory}")
        stems = [s for s in stems if s in set(only)]
    revoked = load_revoked(directory)
    result = SuiteResult(str(directory), directory.name, model)
    runner = Runner(model)
    t0 = time.perf_counter()
    for stem in stems:
        fr = FileResult(stem)
        mask = int(by_file.get(stem, {}).get("flags_mask", 0xFFFF))
        for t in iter_tests(directory / f"{stem}.json.gz"):
            if revoked and str(t.get("hash", "")).lower() in revoked:
                fr.skipped += 1
                continue
            fr.total += 1
            diffs = runner.run_test(t, stem, mask)
            if diffs:
                result.failures.append(Failure(stem, int(t["idx"]), t.get("name", ""),
                                               bytes(t["bytes"]).hex(" "), diffs))
            else:
                fr.passed += 1
        result.files[stem] = fr
        if progress is not None:
            progress(fr)
    result.seconds = time.perf_counter() - t0
    return result


# --- known-failures list (tests/conformance_known_failures.txt) ----------------------------
def read_known_failures(path: str | os.PathLike) -> dict[tuple[str, str, int], str]:
    """Parse ``SET STEM IDX reason`` lines (``#`` starts a comment) into {key: reason}."""
    known: dict[tuple[str, str, int], str] = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 3)
        known[(parts[0], parts[1], int(parts[2]))] = parts[3] if len(parts) > 3 else ""
    return known


def format_failure_lines(result: SuiteResult) -> list[str]:
    """The failures as known-failures lines (``SET STEM IDX reason``)."""
    return [f"{result.set_name} {f.file} {f.idx} {f.name} [{f.bytes_hex}]: {f.reason()}"
            for f in result.failures]


# --- command line ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emulator.cpu.conformance",
                                 description="Run the SingleStepTests CPU vectors in DIR.")
    ap.add_argument("directory", metavar="DIR", help="a cpu-tests folder (8086 or 80286)")
    ap.add_argument("--cpu", dest="model", default=None,
                    help="CPU model (default: 8086 if DIR/index.json says cpu 8086, else 286)")
    ap.add_argument("--only", nargs="+", metavar="STEM", help="run only these files (e.g. 00 F7.6)")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="print every failure with all its differences")
    ap.add_argument("--max-failures", type=int, default=20, metavar="N",
                    help="failures to print in detail (default 20; --verbose: all)")
    ap.add_argument("--list-failures", metavar="FILE",
                    help="write every failure as a 'SET STEM IDX reason' line to FILE")
    args = ap.parse_args(argv)

    def progress(fr: FileResult) -> None:
        skip = f" ({fr.skipped} revoked)" if fr.skipped else ""
        print(f"{fr.stem:6s} {fr.passed:5d}/{fr.total:<5d} {fr.rate:6.2f}%{skip}", flush=True)

    res = run_suite(args.directory, args.model, args.only, progress)
    print(f"TOTAL {res.set_name} (cpu {res.model}): {res.passed}/{res.total} passed, "
          f"{res.rate:.3f}%, {len(res.failures)} failed, {res.skipped} revoked, "
          f"{res.seconds:.1f} s")
    limit = len(res.failures) if args.verbose else max(0, args.max_failures)
    if res.failures and limit:
        print(f"\nfailures (first {min(limit, len(res.failures))} of {len(res.failures)}):")
        for f in res.failures[:limit]:
            if args.verbose:
                print(f"{f.file} #{f.idx} [{f.bytes_hex}] {f.name}")
                for d in f.diffs:
                    print(f"    {d}")
            else:
                more = f" (+{len(f.diffs) - 3} more)" if len(f.diffs) > 3 else ""
                print(f"{f.file} #{f.idx} [{f.bytes_hex}] {f.name}: "
                      f"{'; '.join(f.diffs[:3])}{more}")
    if args.list_failures:
        lines = format_failure_lines(res)
        Path(args.list_failures).write_text("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
