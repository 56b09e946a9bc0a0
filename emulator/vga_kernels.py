"""Compiled (numba) inner loops of the VGA display path: scan lines to RGB pixels.

The register decoding lives in :mod:`emulator.vga_render` (graphics) and
:mod:`emulator.screen` (text); these kernels only walk display memory the way
the CRT controller does (IBM VGA Technical Reference, "CRT Controller
Registers") and write ``uint8`` RGB rows:

* :func:`scan_lines`: for every displayed scan line the memory address of its
  first character clock, its row scan count and whether it is below the line
  compare split.  The address starts at the start address (CR0C/CR0D) plus
  the byte panning (CR08 bits 5-6), the row scan at the preset row scan (CR08
  bits 0-4); a row advances the address by the offset (CR13) after the
  maximum scan line (CR09 bits 0-4), each row scan count shown twice when
  double scanning (CR09 bit 7).  On the scan line whose number equals the line
  compare value (CR18, CR07 bit 4, CR09 bit 6) the address and row scan are
  reset, so the lower screen begins, at address 0, on the next scan line.
* :func:`planar_rows`, :func:`chain4_rows`, :func:`unchained_rows`: the
  16-colour planar, 256-colour chain 4 and unchained 256-colour organisations.
* :func:`text_rows`: the character generator (glyphs from plane 2), 8 or 9
  dot character clocks, attributes, underline, blinking and the cursor.

Every kernel takes the horizontal pixel shift of the upper and of the lower
screen (the attribute controller's panning, see the callers) and a horizontal
repeat (2 for frames at most 360 dots wide: a halved dot clock), and copies a row instead
of drawing it again when it shows the same memory as the row above (double
scanned and 2-line-per-row modes).
"""

from __future__ import annotations

import numpy as np
from numba import njit

PLANE_MASK = 0xFFFF


@njit(cache=True, nogil=True)
def scan_lines(count: int, start: int, lower_start: int, pitch: int, max_scan: int, double: bool,
               preset: int, compare: int, addr: np.ndarray, scan: np.ndarray,
               lower: np.ndarray) -> None:  # pragma: no cover - compiled
    """Fill ``addr``, ``scan`` and ``lower`` (length ``count``) for each displayed scan line."""
    a = start
    rs = preset
    half = 0
    below = 0
    for y in range(count):
        addr[y] = a
        scan[y] = rs
        lower[y] = below
        if y == compare:
            a = lower_start
            rs = 0
            half = 0
            below = 1
            continue
        if double:
            half ^= 1
            if half:
                continue
        if rs >= max_scan:
            rs = 0
            a += pitch
        else:
            rs += 1


@njit(cache=True, nogil=True)
def _put(flat: np.ndarray, y: int, line: np.ndarray, shift: int, width: int, palette: np.ndarray,
         repeat: int) -> None:  # pragma: no cover - compiled
    """Row ``y`` of ``flat`` (the frame as rows of bytes): ``width`` colour indexes of ``line``
    from ``shift`` through ``palette``, each ``repeat`` times."""
    o = 0
    if repeat == 1:
        for x in range(width):
            c = line[x + shift]
            flat[y, o] = palette[c, 0]
            flat[y, o + 1] = palette[c, 1]
            flat[y, o + 2] = palette[c, 2]
            o += 3
    else:
        for x in range(width):
            c = line[x + shift]
            r = palette[c, 0]
            g = palette[c, 1]
            b = palette[c, 2]
            flat[y, o] = r
            flat[y, o + 1] = g
            flat[y, o + 2] = b
            flat[y, o + 3] = r
            flat[y, o + 4] = g
            flat[y, o + 5] = b
            o += 6


@njit(cache=True, nogil=True)
def _same_as_above(addr: np.ndarray, lower: np.ndarray, y: int) -> bool:  # pragma: no cover
    return y > 0 and addr[y] == addr[y - 1] and lower[y] == lower[y - 1]


def _spread_table() -> np.ndarray:
    """(256,) uint64: byte b of entry x is bit 7 - b of x (a plane byte's 8 pixels, leftmost in
    the lowest byte, as a little-endian word)."""
    x = np.arange(256, dtype=np.uint64)
    out = np.zeros(256, dtype=np.uint64)
    for b in range(8):
        out |= ((x >> np.uint64(7 - b)) & np.uint64(1)) << np.uint64(8 * b)
    return out


SPREAD = _spread_table()


@njit(cache=True, nogil=True)
def planar_rows(planes: np.ndarray, addr: np.ndarray, lower: np.ndarray, width: int, shift_top: int,
                shift_low: int, palette: np.ndarray, repeat: int, spread: np.ndarray,
                out: np.ndarray) -> None:  # pragma: no cover - compiled
    """16-colour planar pixels: bit 7 of each plane byte is the leftmost pixel, plane p gives bit p
    (8 pixels at a time through ``spread``, :data:`SPREAD`).

    ``palette`` (16, 3) already holds the colour plane enable, the attribute palette and the DAC.
    """
    flat = out.reshape(out.shape[0], -1)
    cols = width // 8 + 2
    words = np.zeros(cols, dtype=np.uint64)
    line = words.view(np.uint8)
    for y in range(addr.shape[0]):
        if _same_as_above(addr, lower, y):
            flat[y] = flat[y - 1]
            continue
        a = addr[y]
        for k in range(cols):
            o = (a + k) & PLANE_MASK
            words[k] = (spread[planes[0, o]] | (spread[planes[1, o]] << np.uint64(1))
                        | (spread[planes[2, o]] << np.uint64(2)) | (spread[planes[3, o]] << np.uint64(3)))
        _put(flat, y, line, shift_low if lower[y] else shift_top, width, palette, repeat)


@njit(cache=True, nogil=True)
def chain4_rows(planes: np.ndarray, addr: np.ndarray, lower: np.ndarray, width: int, shift_top: int,
                shift_low: int, palette: np.ndarray, repeat: int,
                out: np.ndarray) -> None:  # pragma: no cover - compiled
    """256-colour chain 4: an address unit is 4 chained bytes; chained byte o is plane o & 3,
    address o & ~3 (as the CPU's chain 4 writes place it)."""
    flat = out.reshape(out.shape[0], -1)
    line = np.zeros(width + 8, dtype=np.uint8)
    for y in range(addr.shape[0]):
        if _same_as_above(addr, lower, y):
            flat[y] = flat[y - 1]
            continue
        base = addr[y] * 4
        for x in range(width + 8):
            o = (base + x) & PLANE_MASK
            line[x] = planes[o & 3, o & 0xFFFC]
        _put(flat, y, line, shift_low if lower[y] else shift_top, width, palette, repeat)


@njit(cache=True, nogil=True)
def unchained_rows(planes: np.ndarray, addr: np.ndarray, lower: np.ndarray, width: int,
                   shift_top: int, shift_low: int, palette: np.ndarray, repeat: int,
                   out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Unchained 256-colour ("mode X"): pixel p of a line is plane p & 3 at address start + p // 4."""
    flat = out.reshape(out.shape[0], -1)
    line = np.zeros(width + 8, dtype=np.uint8)
    for y in range(addr.shape[0]):
        if _same_as_above(addr, lower, y):
            flat[y] = flat[y - 1]
            continue
        a = addr[y]
        for p in range(width + 8):
            line[p] = planes[p & 3, (a + (p >> 2)) & PLANE_MASK]
        _put(flat, y, line, shift_low if lower[y] else shift_top, width, palette, repeat)


@njit(cache=True, nogil=True)
def text_rows(cells: np.ndarray, cell_mask: int, addr: np.ndarray, scan: np.ndarray,
              lower: np.ndarray, columns: int, dots: int, line_graphics: bool, shift_top: int,
              shift_low: int, font: np.ndarray, map_set: int, map_clear: int, fg: np.ndarray,
              bg: np.ndarray, blinks: np.ndarray, underlined: np.ndarray, underline_scan: int,
              chars_on: bool, cursor: int, cursor_start: int, cursor_end: int, palette: np.ndarray,
              repeat: int, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Text: character/attribute pairs at ``cells[2 * (a & cell_mask)]``, glyph row ``scan`` of
    character c in the font map at ``font[map + 32 * c]`` (``map_set`` for attribute bit 3 set,
    ``map_clear`` for it clear).  ``dots`` 8 or 9: the ninth dot repeats the eighth for C0h-DFh
    when ``line_graphics``, else it is background.  ``fg``/``bg``/``blinks``/``underlined``:
    per attribute byte.  ``cursor`` (an address, -1: none) gets foreground on the row scans
    ``cursor_start`` to ``cursor_end``.  The cells of a row are decoded once for all its
    scan lines."""
    flat = out.reshape(out.shape[0], -1)
    width = columns * dots
    count = columns + 2
    line = np.zeros(count * dots, dtype=np.uint8)
    glyph = np.zeros(count, dtype=np.int64)          # font offset of the cell's character
    fore = np.zeros(count, dtype=np.uint8)
    back = np.zeros(count, dtype=np.uint8)
    flags = np.zeros(count, dtype=np.uint8)          # 1 underlined, 2 hidden (blink), 4 cursor,
    row_addr = -1                                    # 8 line graphics character
    for y in range(addr.shape[0]):
        if y > 0 and addr[y] == addr[y - 1] and scan[y] == scan[y - 1] and lower[y] == lower[y - 1]:
            flat[y] = flat[y - 1]
            continue
        a = addr[y]
        rs = scan[y]
        if a != row_addr:
            row_addr = a
            for k in range(count):
                ca = (a + k) & cell_mask
                ch = np.int64(cells[2 * ca])
                at = cells[2 * ca + 1]
                glyph[k] = (map_set if at & 8 else map_clear) + ch * 32
                fore[k] = fg[at]
                back[k] = bg[at]
                f = 0
                if underlined[at]:
                    f |= 1
                if blinks[at] and not chars_on:
                    f |= 2
                if ca == cursor:
                    f |= 4
                if line_graphics and 0xC0 <= ch <= 0xDF:
                    f |= 8
                flags[k] = f
        shift = shift_low if lower[y] else shift_top
        direct = shift == 0 and repeat == 1              # RGB straight into the frame row
        for k in range(count if not direct else columns):
            f = flags[k]
            bits = np.int64(font[glyph[k] + rs]) if rs < 32 else np.int64(0)
            if f & 7:
                if f & 2:
                    bits = 0
                if ((f & 1) and rs == underline_scan and not f & 2) or (
                        (f & 4) and cursor_start <= rs <= cursor_end):
                    bits = 0x1FF
            if dots == 9:                                # the ninth dot: bit -1 of the pattern
                if bits > 0xFF:
                    bits = 0x1FF
                elif f & 8:
                    bits = (bits << 1) | (bits & 1)
                else:
                    bits <<= 1
            else:
                bits <<= 1
            if direct:
                o = k * dots * 3
                fc = fore[k]
                bc = back[k]
                for b in range(dots):
                    c = fc if (bits >> (8 - b)) & 1 else bc
                    flat[y, o] = palette[c, 0]
                    flat[y, o + 1] = palette[c, 1]
                    flat[y, o + 2] = palette[c, 2]
                    o += 3
            else:
                diff = fore[k] ^ back[k]
                base = back[k]
                o = k * dots
                for b in range(dots):
                    line[o + b] = base ^ (diff & -((bits >> (8 - b)) & 1))
        if not direct:
            _put(flat, y, line, shift, width, palette, repeat)


@njit(cache=True, nogil=True)
def rgb_to_bgrx(frame: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """A C-contiguous ``H x W x 3`` RGB frame as ``H x W`` little-endian 32-bit words
    FFRRGGBBh in ``out`` (bytes B, G, R, FFh: a 32-bit XRGB surface's layout)."""
    src = frame.reshape(-1)
    dst = out.reshape(-1)
    for i in range(dst.shape[0]):
        dst[i] = (np.uint32(0xFF000000) | (np.uint32(src[3 * i]) << 16)
                  | (np.uint32(src[3 * i + 1]) << 8) | np.uint32(src[3 * i + 2]))
