"""VGA graphics rendering speed (``emulator/vga_render.py``): one frame per memory organisation."""

from __future__ import annotations

import numpy as np
import pytest

from emulator import vga_render as VR
from tests.bios_harness import BiosBox


def _program(box: BiosBox, mode: int) -> None:
    """Registers of mode 12h (640x480 planar) or 13h (320x200 chain 4), written through the ports."""
    w = box.machine.bus.write

    def pair(port: int, index: int, value: int) -> None:
        w(port, 1, index)
        w(port + 1, 1, value)

    box.ram[0x449] = mode
    chain4 = mode == 0x13
    pair(0x3C4, 4, 0x0E if chain4 else 0x06)
    pair(0x3CE, 5, 0x40 if chain4 else 0x00)
    pair(0x3CE, 6, 0x05)
    vend = 399 if chain4 else 479
    for index, value in ((0x01, 0x4F), (0x12, vend & 0xFF), (0x07, (vend >> 8 & 1) << 1),
                         (0x09, 0x41 if chain4 else 0x40), (0x13, 0x28), (0x14, 0x40 if chain4 else 0)):
        pair(0x3D4, index, value)
    box.machine.bus.read(0x3DA, 1)
    for i in range(16):
        w(0x3C0, 1, i | 0x20)
        w(0x3C0, 1, i)
    w(0x3C8, 1, 0)
    rng = np.random.default_rng(3)
    for v in rng.integers(0, 64, 768):
        w(0x3C9, 1, int(v))
    box.cpu.vga_planes[:] = rng.integers(0, 256, box.cpu.vga_planes.shape, dtype=np.uint8)


@pytest.mark.parametrize(("mode", "shape"), [(0x12, (480, 640, 3)), (0x13, (400, 640, 3)),
                                             (0x04, (400, 640, 3))])
def test_render_graphics(benchmark, mode: int, shape: tuple[int, int, int]) -> None:
    box = BiosBox()
    _program(box, mode)
    frame = benchmark(VR.render_graphics, box.machine)
    assert frame.shape == shape
    ms = benchmark.stats.stats.mean * 1e3
    benchmark.extra_info["render_ms"] = ms
    print(f"\nmode {mode:02X}h frame: {ms:.2f} ms")
