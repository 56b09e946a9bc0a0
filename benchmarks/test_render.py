"""Text-screen rendering speed (``emulator/screen.py``): one 80x25 frame (720x400) to RGB."""

from __future__ import annotations

import numpy as np

from emulator import screen as SC
from tests.bios_harness import BiosBox


def test_render_text_80x25(benchmark):
    box = BiosBox()
    rng = np.random.default_rng(7)
    box.ram[0xB8000:0xB8000 + 4000] = rng.integers(0, 256, 4000, dtype=np.uint8)
    frame = benchmark(SC.render_text, box.machine)
    assert frame.shape == (400, 720, 3)                  # 80 characters of 9 dots
    ms = benchmark.stats.stats.mean * 1e3
    benchmark.extra_info["render_ms"] = ms
    print(f"\n80x25 text frame: {ms:.2f} ms ({1000 / ms:.0f} frames per second of CPU time)")
