"""VGA register values of the BIOS video modes, the default DAC tables, and mode programming.

The register values are those the IBM VGA Technical Reference ("BIOS video
modes" / the video parameter table) lists for its modes at their VGA scan
line counts: text modes 0-3 and 7 with 400 lines (9-dot characters: sequencer 1
bit 0 clear, line graphics on in attribute 10h, pixel panning 08h), the
CGA-compatible modes 4-6 and the EGA modes 0Dh/0Eh at 200 lines (double
scanned to 400), 0Fh/10h at 350 lines, 11h/12h at 480 lines and 13h at 200
lines (double scanned).

pyx86 deviation: IBM programs mode 6 with sequencer memory mode 06h
(sequential addressing, plane 0).  pyx86 keeps the CGA modes' memory in plain
RAM at B8000h (see :mod:`devices.vga`), which the machine keeps as RAM only
while the memory mode selects odd/even addressing, so mode 6 uses 02h here.

The DAC tables: a VGA BIOS loads one of four tables on a mode set
(IBM VGA Technical Reference, "Video DAC"): the 64 EGA colours (rgbRGB) for
the 350/400/480-line 16-colour modes, a CGA-compatible table for the 200-line
modes 4-6, 0Dh and 0Eh (bit 4 is intensity, so the attribute values 00h-07h and
10h-17h give the 16 CGA colours, brown included), 64 greys for the monochrome
modes, and a 256-entry table for mode 13h.  The 256-entry table here has the 16 CGA/EGA colours in entries
0-15 and a 16-step grey ramp in 16-31 as IBM's does; entries 32-247 are ramps
of pyx86's own construction (hue ramps at three saturations and three
intensities) and do not reproduce IBM's table; 248-255 are black.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol


class PortIO(Protocol):
    """What :func:`program_mode` needs of the machine's port bus."""

    def read(self, port: int, size: int) -> int: ...

    def write(self, port: int, size: int, value: int) -> None: ...


@dataclass(frozen=True)
class ModeRegs:
    """The register file contents of one mode."""

    misc: int
    seq: tuple[int, ...]          # sequencer 0-4
    crtc: tuple[int, ...]         # CRT controller 0-18h
    attr: tuple[int, ...]         # attribute controller 0-14h
    gc: tuple[int, ...]           # graphics controller 0-8
    dac: str                      # "ega", "cga", "mono" or "vga256"


def _b(text: str) -> tuple[int, ...]:
    return tuple(int(x, 16) for x in text.split())


# CRT controller values, 0-18h
_CRTC_TEXT40 = _b("2D 27 28 90 2B A0 BF 1F 00 4F 0D 0E 00 00 00 00 9C 8E 8F 14 1F 96 B9 A3 FF")
_CRTC_TEXT80 = _b("5F 4F 50 82 55 81 BF 1F 00 4F 0D 0E 00 00 00 00 9C 8E 8F 28 1F 96 B9 A3 FF")
_CRTC_MONO80 = _b("5F 4F 50 82 55 81 BF 1F 00 4F 0D 0E 00 00 00 00 9C 8E 8F 28 0F 96 B9 A3 FF")
_CRTC_CGA320 = _b("2D 27 28 90 2B 80 BF 1F 00 C1 00 00 00 00 00 00 9C 8E 8F 14 00 96 B9 A2 FF")
_CRTC_CGA640 = _b("5F 4F 50 82 54 80 BF 1F 00 C1 00 00 00 00 00 00 9C 8E 8F 28 00 96 B9 C2 FF")
_CRTC_EGA320 = _b("2D 27 28 90 2B 80 BF 1F 00 C0 00 00 00 00 00 00 9C 8E 8F 14 00 96 B9 E3 FF")
_CRTC_EGA640 = _b("5F 4F 50 82 54 80 BF 1F 00 C0 00 00 00 00 00 00 9C 8E 8F 28 00 96 B9 E3 FF")
_CRTC_350 = _b("5F 4F 50 82 54 80 BF 1F 00 40 00 00 00 00 00 00 83 85 5D 28 0F 63 BA E3 FF")
_CRTC_480 = _b("5F 4F 50 82 54 80 0B 3E 00 40 00 00 00 00 00 00 EA 8C DF 28 00 E7 04 C3 FF")
_CRTC_13 = _b("5F 4F 50 82 54 80 BF 1F 00 41 00 00 00 00 00 00 9C 8E 8F 28 40 96 B9 A3 FF")

# attribute controller values, 0-14h
_EGA_PAL = "00 01 02 03 04 05 14 07 38 39 3A 3B 3C 3D 3E 3F"
_ATTR_TEXT = _b(_EGA_PAL + " 0C 00 0F 08 00")
_ATTR_MONO = _b("00 08 08 08 08 08 08 08 10 18 18 18 18 18 18 18 0E 00 0F 08 00")
_ATTR_CGA4 = _b("00 13 15 17 02 04 06 07 10 11 12 13 14 15 16 17 01 00 03 00 00")
_ATTR_CGA2 = _b("00" + " 17" * 15 + " 01 00 01 00 00")
_ATTR_EGA16 = _b("00 01 02 03 04 05 06 07 10 11 12 13 14 15 16 17 01 00 0F 00 00")
_ATTR_EGAMONO = _b("00 08 00 00 18 18 00 00 00 08 00 00 00 18 00 00 0B 00 05 00 00")
_ATTR_VGA16 = _b(_EGA_PAL + " 01 00 0F 00 00")
_ATTR_VGA2 = _b("00" + " 3F" * 15 + " 01 00 0F 00 00")
_ATTR_13 = _b("00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 41 00 0F 00 00")

# graphics controller values, 0-8
_GC_TEXT = _b("00 00 00 00 00 10 0E 00 FF")
_GC_MONO = _b("00 00 00 00 00 10 0A 00 FF")
_GC_CGA4 = _b("00 00 00 00 00 30 0F 00 FF")
_GC_CGA2 = _b("00 00 00 00 00 00 0D 00 FF")
_GC_PLANAR = _b("00 00 00 00 00 00 05 0F FF")
_GC_EGAMONO = _b("00 00 00 00 00 00 05 05 FF")
_GC_13 = _b("00 00 00 00 00 40 05 0F FF")

MODE_REGS: dict[int, ModeRegs] = {
    0x00: ModeRegs(0x67, _b("03 08 03 00 02"), _CRTC_TEXT40, _ATTR_TEXT, _GC_TEXT, "ega"),
    0x01: ModeRegs(0x67, _b("03 08 03 00 02"), _CRTC_TEXT40, _ATTR_TEXT, _GC_TEXT, "ega"),
    0x02: ModeRegs(0x67, _b("03 00 03 00 02"), _CRTC_TEXT80, _ATTR_TEXT, _GC_TEXT, "ega"),
    0x03: ModeRegs(0x67, _b("03 00 03 00 02"), _CRTC_TEXT80, _ATTR_TEXT, _GC_TEXT, "ega"),
    0x04: ModeRegs(0x63, _b("03 09 03 00 02"), _CRTC_CGA320, _ATTR_CGA4, _GC_CGA4, "cga"),
    0x05: ModeRegs(0x63, _b("03 09 03 00 02"), _CRTC_CGA320, _ATTR_CGA4, _GC_CGA4, "cga"),
    0x06: ModeRegs(0x63, _b("03 01 01 00 02"), _CRTC_CGA640, _ATTR_CGA2, _GC_CGA2, "cga"),
    0x07: ModeRegs(0xA6, _b("03 00 03 00 02"), _CRTC_MONO80, _ATTR_MONO, _GC_MONO, "mono"),
    0x0D: ModeRegs(0x63, _b("03 09 0F 00 06"), _CRTC_EGA320, _ATTR_EGA16, _GC_PLANAR, "cga"),
    0x0E: ModeRegs(0x63, _b("03 01 0F 00 06"), _CRTC_EGA640, _ATTR_EGA16, _GC_PLANAR, "cga"),
    0x0F: ModeRegs(0xA2, _b("03 01 0F 00 06"), _CRTC_350, _ATTR_EGAMONO, _GC_EGAMONO, "mono"),
    0x10: ModeRegs(0xA3, _b("03 01 0F 00 06"), _CRTC_350, _ATTR_VGA16, _GC_PLANAR, "ega"),
    0x11: ModeRegs(0xE3, _b("03 01 0F 00 06"), _CRTC_480, _ATTR_VGA2, _GC_PLANAR, "ega"),
    0x12: ModeRegs(0xE3, _b("03 01 0F 00 06"), _CRTC_480, _ATTR_VGA16, _GC_PLANAR, "ega"),
    0x13: ModeRegs(0x63, _b("03 01 0F 00 0E"), _CRTC_13, _ATTR_13, _GC_13, "vga256"),
}


TEXT_MODES = (0x00, 0x01, 0x02, 0x03, 0x07)


def _with(values: tuple[int, ...], changes: dict[int, int]) -> tuple[int, ...]:
    return tuple(changes.get(i, v) for i, v in enumerate(values))


def mode_regs(mode: int, lines: int = 400) -> ModeRegs:
    """The registers of ``mode``; text modes also at 350 lines (8x14 characters, 8-dot, the
    350-line vertical timing; mode 7 keeps its 9-dot 720x350 form with the underline on line
    13) or 200 lines (8x8 characters scanned twice, 8-dot).  At 400 lines the text modes use
    9-dot characters (sequencer 1 bit 0 clear; IBM VGA Technical Reference mode table: 0+/1+
    360x400, 2+/3+ and 7+ 720x400)."""
    regs = MODE_REGS[mode]
    if mode not in TEXT_MODES or lines not in (200, 350):
        return regs
    if mode == 7:           # 350 lines: 720x350, 9x14 characters, the 28 MHz clock kept
        crtc = _with(regs.crtc, {0x09: 0x4D, 0x0A: 0x0B, 0x0B: 0x0C, 0x10: 0x83, 0x11: 0x85,
                                 0x12: 0x5D, 0x14: 0x0D, 0x15: 0x63, 0x16: 0xBA})
        return replace(regs, misc=(regs.misc & 0x3F) | 0x80, crtc=crtc)
    seq = _with(regs.seq, {1: regs.seq[1] | 0x01})              # 8-dot characters
    attr = _with(regs.attr, {0x10: regs.attr[0x10] & ~0x04, 0x13: 0x00})
    if lines == 200:
        crtc = _with(regs.crtc, {0x09: 0xC7, 0x0A: 0x06, 0x0B: 0x07})
        return replace(regs, misc=regs.misc & 0xF3, seq=seq, attr=attr, crtc=crtc)   # 25 MHz clock
    crtc = _with(regs.crtc, {0x09: 0x4D, 0x0A: 0x0B, 0x0B: 0x0C, 0x10: 0x83, 0x11: 0x85, 0x12: 0x5D,
                             0x15: 0x63, 0x16: 0xBA})
    return replace(regs, misc=(regs.misc & 0x33) | 0x80, seq=seq, attr=attr, crtc=crtc)  # 350-line sync


# --- default DAC tables (6-bit components) ----------------------------------------------------
def ega_colour(index: int) -> tuple[int, int, int]:
    """EGA colour ``index`` (bits r g b R G B = 5..0): primary bits 2Ah, secondary bits 15h."""
    def level(major: int, minor: int) -> int:
        return 0x2A * ((index >> major) & 1) + 0x15 * ((index >> minor) & 1)
    return level(2, 5), level(1, 4), level(0, 3)


def cga_colour(index: int) -> tuple[int, int, int]:
    """CGA/EGA colour 0-15 (I R G B): 2Ah for a primary, plus 15h with intensity; brown 2Ah,15h,00h."""
    if index == 6:
        return 0x2A, 0x15, 0x00
    bright = 0x15 if index & 8 else 0
    return (0x2A * ((index >> 2) & 1) + bright, 0x2A * ((index >> 1) & 1) + bright,
            0x2A * (index & 1) + bright)


def mono_grey(index: int) -> tuple[int, int, int]:
    """Monochrome DAC entry: attribute bit 3 video (2Ah), bit 4 intensity (15h)."""
    g = 0x2A * ((index >> 3) & 1) + 0x15 * ((index >> 4) & 1)
    return g, g, g


def _hue(step: int) -> tuple[float, float, float]:
    """A colour wheel of 24 steps (blue, magenta, red, yellow, green, cyan, back to blue)."""
    sector, frac = divmod(step, 4)
    up, down = frac / 4, 1 - frac / 4
    return ((up, 0.0, 1.0), (1.0, 0.0, down), (1.0, up, 0.0),
            (down, 1.0, 0.0), (0.0, 1.0, up), (0.0, down, 1.0))[sector]


def vga256_table() -> list[tuple[int, int, int]]:
    """The mode 13h DAC table (see the module doc: entries 32-247 are pyx86's own ramps)."""
    table = [cga_colour(i) for i in range(16)]
    table += [(round(i * 63 / 15),) * 3 for i in range(16)]
    for top in (63, 28, 16):                     # three intensities ...
        for sat in (1.0, 0.5, 0.28):             # ... at three saturations, 24 hues each
            for step in range(24):
                r, g, b = (round(top * (1 - sat + sat * c)) for c in _hue(step))
                table.append((r, g, b))
    table += [(0, 0, 0)] * 8
    assert len(table) == 256
    return table


def dac_table(kind: str) -> list[tuple[int, int, int]]:
    """The DAC entries a mode set loads: 64 for "ega", "cga" and "mono", 256 for "vga256"."""
    if kind == "ega":
        return [ega_colour(i) for i in range(64)]
    if kind == "cga":  # DAC index bits 0-2 RGB, bit 4 intensity (bits 3 and 5 ignored)
        return [cga_colour((i & 7) | ((i >> 1) & 8)) for i in range(64)]
    if kind == "mono":
        return [mono_grey(i) for i in range(64)]
    return vga256_table()


def grey_sum(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Grey-scale summing as the VGA BIOS does it: 30% red, 59% green, 11% blue."""
    g = min(63, (30 * rgb[0] + 59 * rgb[1] + 11 * rgb[2] + 50) // 100)
    return g, g, g


# --- programming through the ports --------------------------------------------------------------
def status_port(bus: PortIO) -> int:
    """Input status 1 (3DAh or 3BAh, as miscellaneous output bit 0 selects)."""
    return 0x3DA if bus.read(0x3CC, 1) & 1 else 0x3BA


def crtc_port(bus: PortIO) -> int:
    """The CRTC index port (3D4h or 3B4h)."""
    return 0x3D4 if bus.read(0x3CC, 1) & 1 else 0x3B4


def attr_write(bus: PortIO, index: int, value: int) -> None:
    """Attribute register ``index`` := ``value`` (flip-flop reset first; display re-enabled after)."""
    bus.read(status_port(bus), 1)
    bus.write(0x3C0, 1, index & 0x1F)
    bus.write(0x3C0, 1, value)
    bus.write(0x3C0, 1, 0x20)


def attr_read(bus: PortIO, index: int) -> int:
    """Attribute register ``index`` (through 3C1h)."""
    status = status_port(bus)
    bus.read(status, 1)
    bus.write(0x3C0, 1, index & 0x1F)
    value = bus.read(0x3C1, 1)
    bus.read(status, 1)
    bus.write(0x3C0, 1, 0x20)
    return value


def dac_write(bus: PortIO, first: int, entries: list[tuple[int, int, int]]) -> None:
    """DAC entries from ``first`` on, through 3C8h/3C9h."""
    bus.write(0x3C8, 1, first & 0xFF)
    for rgb in entries:
        for c in rgb:
            bus.write(0x3C9, 1, c & 0x3F)


def dac_read(bus: PortIO, first: int, count: int) -> list[tuple[int, int, int]]:
    """``count`` DAC entries from ``first`` on, through 3C7h/3C9h."""
    bus.write(0x3C7, 1, first & 0xFF)
    return [(bus.read(0x3C9, 1), bus.read(0x3C9, 1), bus.read(0x3C9, 1)) for _ in range(count)]


def program_mode(bus: PortIO, mode: int, load_dac: bool = True, grey: bool = False,
                 lines: int = 400) -> None:
    """Program the VGA for BIOS mode ``mode`` (IBM VGA Technical Reference, "Programming
    considerations": sequencer reset, miscellaneous output, sequencer, CRTC with the
    protect bit cleared, graphics controller, attribute controller, then the DAC).

    ``load_dac`` False leaves the DAC alone (INT 10h AX=1200h BL=31h); ``grey`` sums
    the loaded colours to greys (BL=33h); ``lines``: 200, 350 or 400 for text modes.
    """
    regs = mode_regs(mode, lines)
    bus.write(0x3C4, 1, 0)
    bus.write(0x3C5, 1, 0x01)                    # synchronous reset while the clocks change
    bus.write(0x3C2, 1, regs.misc)
    for i in range(1, 5):
        bus.write(0x3C4, 1, i)
        bus.write(0x3C5, 1, regs.seq[i])
    bus.write(0x3C4, 1, 0)
    bus.write(0x3C5, 1, regs.seq[0])             # end of reset
    crtc = crtc_port(bus)
    bus.write(crtc, 1, 0x11)
    bus.write(crtc + 1, 1, regs.crtc[0x11] & 0x7F)   # registers 0-7 writable
    for i, value in enumerate(regs.crtc):
        bus.write(crtc, 1, i)
        bus.write(crtc + 1, 1, value)
    for i, value in enumerate(regs.gc):
        bus.write(0x3CE, 1, i)
        bus.write(0x3CF, 1, value)
    bus.read(status_port(bus), 1)                # attribute flip-flop to "index"
    for i, value in enumerate(regs.attr):
        bus.write(0x3C0, 1, i)
        bus.write(0x3C0, 1, value)
    bus.write(0x3C0, 1, 0x20)                    # palette address source: display on
    if load_dac:
        table = dac_table(regs.dac)
        if grey:
            table = [grey_sum(rgb) for rgb in table]
        bus.write(0x3C6, 1, 0xFF)
        dac_write(bus, 0, table)
