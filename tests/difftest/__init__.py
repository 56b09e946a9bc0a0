"""Differential testing of the pyx86 CPU core against Unicorn.

A seeded generator (:mod:`.generator`) produces a stream of valid integer
instructions one at a time, looking at the reference CPU's current state so
that every memory operand, stack access and branch target lands inside the
small mapped "world" (:mod:`.world`).  :mod:`.harness` executes each
instruction on Unicorn (the reference) and on our core, then compares all
general registers, EIP, segment selectors, EFLAGS (less the flags the Intel
SDM leaves undefined for that instruction, :mod:`.undefined_flags`) and the
whole world memory.  Differences where Unicorn is known to disagree with
Intel hardware are listed, with the reason, in :mod:`.known_differences`.

:mod:`.paged` runs the same 32-bit streams in protected mode with paging on:
seeded page tables with not-present and read-only pages, page-crossing
accesses and a 4 MiB page; page faults and the other exceptions are
delivered by our core through the IDT and checked (vector, CR2, error code,
pushed frame) against what Unicorn reports.

Run a stream by hand with ``python -m tests.difftest --help``.
"""
