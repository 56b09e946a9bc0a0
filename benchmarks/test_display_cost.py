"""What the display costs: frames per second of CPU time, and guest MIPS with the window redrawing.

(a) ``test_frame_rate``: CPU time of one frame that changed since the last one — mode 12h
    (640x480, 16 colours: one plane byte changes before every frame) and 80x25 text (one cell
    changes) — through :func:`emulator.screen.render` alone, and through render plus the pygame
    window's :meth:`~emulator.display_pygame.PygameWindow.show` (``SDL_VIDEODRIVER=dummy``, a
    640x480 window: conversion, scaling, flip).  The issue asks for at least 60 frames per second.

(b) ``test_guest_mips``: a CPU-bound guest (an arithmetic loop, interrupts on, the BIOS timer
    ticking) in mode 12h runs the same number of 10 ms virtual-time slices (the same number of
    instructions), interleaved round by round: ``headless-*`` (``Machine.run`` only) and
    ``window-*`` (the pygame front end's loop, :meth:`PygameWindow.run`, with the dummy video
    driver), each with a guest that leaves video memory alone (``*-static``: the frame watch
    skips the redraws) and one that also increments a byte of video memory in every outer
    iteration (``*-changing``: every 60 Hz look finds a changed picture and renders and shows
    it).  MIPS = instructions / wall time, and / CPU time of the process (steadier while other
    jobs share the machine), of the median round; the slowdown of each window variant is the
    median over the rounds of its time against its headless twin's in the same round (printed
    and kept in ``extra_info``; the issue allows at most 10 %).
    The first look of each windowed round draws (a new window).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from emulator import screen as SC
from emulator.cpu import state as S
from tests.bios_harness import CALL_ADDR, BiosBox
from tests.guests import assemble16

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

SLICES = int(os.environ.get("PYX86_BENCH_DISPLAY_SLICES", "100"))   # 10 ms virtual time each
ROUNDS = int(os.environ.get("PYX86_BENCH_DISPLAY_ROUNDS", "9"))

GUEST = """
    sti
    mov ax, 0xA000
    mov es, ax
    xor di, di
outer:
    mov cx, 2000
inner:
    add bx, cx
    xor dx, bx
    rol dx, 1
    sub si, dx
    loop inner
    {touch}
    inc di
    and di, 0x7FFF
    jmp outer
"""
TOUCH_VIDEO = "inc byte ptr es:[di]"         # a planar read-modify-write: the picture changes
TOUCH_RAM = "inc byte ptr [di + 0x1000]"     # the same work on plain RAM: the picture stays


def _mode12_box() -> BiosBox:
    box = BiosBox()
    box.call(0x10, ax=0x0012)
    rng = np.random.default_rng(5)
    box.cpu.vga_planes[:, :38400] = rng.integers(0, 256, (4, 38400), dtype=np.uint8)
    return box


def _text_box() -> BiosBox:
    box = BiosBox()
    rng = np.random.default_rng(7)
    box.ram[0xB8000:0xB8000 + 4000] = rng.integers(0, 256, 4000, dtype=np.uint8)
    return box


@pytest.mark.benchmark(timer=time.process_time)
@pytest.mark.parametrize("what", ["12h-render", "12h-render+show", "text-render", "text-render+show"])
def test_frame_rate(benchmark, what: str) -> None:
    from emulator.display_pygame import PygameWindow

    box = _mode12_box() if what.startswith("12h") else _text_box()
    window = None
    if what.endswith("show"):
        window = PygameWindow(box.machine)
        window.open()
    counter = [0]

    def frame() -> np.ndarray:
        counter[0] += 1
        if what.startswith("12h"):
            box.cpu.vga_planes[counter[0] & 3, (counter[0] * 7) % 38400] ^= 0xFF
        else:
            box.ram[0xB8000 + 2 * (counter[0] % 2000)] ^= 0x55
        image = SC.render(box.machine, now_ns=0)
        if window is not None:
            window.show(image)
        return image

    try:
        image = benchmark.pedantic(frame, rounds=200, warmup_rounds=10, iterations=1)
    finally:
        if window is not None:
            window.close()
    assert image.shape == ((480, 640, 3) if what.startswith("12h") else (400, 720, 3))
    ms = benchmark.stats.stats.mean * 1e3
    benchmark.extra_info.update(frame_ms=ms, fps=1000 / ms)
    print(f"\n{what}: {ms:.2f} ms a frame, {1000 / ms:.0f} frames per second of CPU time")


def _guest_box(touch: str) -> BiosBox:
    box = _mode12_box()
    code = assemble16(GUEST.format(touch=touch), CALL_ADDR)
    assert code
    box.cpu.write_phys(CALL_ADDR, code)
    box.cpu["cs"], box.cpu["ip"], box.cpu["ss"], box.cpu["sp"] = 0, CALL_ADDR, 0, 0x7000
    box.cpu["ds"] = 0x2000
    box.cpu.st[S.HALTED] = 0
    return box


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


VARIANTS = ("headless-static", "window-static", "headless-changing", "window-changing")


def test_guest_mips(benchmark) -> None:
    """The variants interleaved, round after round, so a busy machine slows them alike."""
    from emulator.display_pygame import PygameWindow

    boxes = {how: _guest_box(TOUCH_VIDEO if how.endswith("changing") else TOUCH_RAM) for how in VARIANTS}
    results: dict[str, list[tuple[int, float, float, int]]] = {how: [] for how in VARIANTS}

    def one(how: str) -> None:
        machine = boxes[how].machine
        window = None
        if how.startswith("window"):
            window = PygameWindow(machine)
            window.open()
        try:
            start_insns, start, cpu = machine.executed, time.perf_counter(), time.process_time()
            if window is None:
                for _ in range(SLICES):
                    assert machine.run(max_ns=10_000_000) is None
            else:
                assert window.run(max_slices=SLICES) is None
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            drawn = window.frames_drawn if window is not None else 0
        finally:
            if window is not None:
                window.close()
        results[how].append((machine.executed - start_insns, seconds, cpu, drawn))

    def round_() -> None:
        for how in VARIANTS:
            one(how)

    benchmark.pedantic(round_, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    lines = []
    mips: dict[str, tuple[float, float]] = {}
    for how in VARIANTS:
        done = results[how][1:]                          # without the warm-up round
        insns = done[0][0]
        assert all(n == insns for n, _, _, _ in done), "every round runs the same instructions"
        wall = sorted(t for _, t, _, _ in done)
        cpu = sorted(c for _, _, c, _ in done)
        mips[how] = (insns / wall[len(wall) // 2] / 1e6, insns / cpu[len(cpu) // 2] / 1e6)
        redraws = max(d / t for _, t, _, d in done)
        benchmark.extra_info[f"{how}_mips"] = mips[how][0]
        benchmark.extra_info[f"{how}_mips_cpu"] = mips[how][1]
        benchmark.extra_info[f"{how}_redraws_per_s"] = redraws
        line = (f"{how}: {mips[how][0]:.1f} MIPS of wall time, {mips[how][1]:.1f} of CPU time "
                f"(median rounds), {redraws:.0f} redraws/s")
        if how.startswith("window"):                 # per round against the headless twin
            twin = results[how.replace("window", "headless")][1:]
            slow_wall = _median([100 * (1 - t0 / t) for (_, t, _, _), (_, t0, _, _) in zip(done, twin)])
            slow_cpu = _median([100 * (1 - c0 / c) for (_, _, c, _), (_, _, c0, _) in zip(done, twin)])
            benchmark.extra_info[f"{how}_slowdown_percent"] = slow_wall
            benchmark.extra_info[f"{how}_slowdown_cpu_percent"] = slow_cpu
            line += f"; slower than headless: {slow_wall:.1f} % (wall), {slow_cpu:.1f} % (CPU time)"
        lines.append(line)
    print("\n" + "\n".join(lines))
    assert max(d / t for _, t, _, d in results["window-changing"][1:]) > 30, "the picture was redrawn"
    assert max(d / t for _, t, _, d in results["window-static"][1:]) < 5, "the static one was not"
