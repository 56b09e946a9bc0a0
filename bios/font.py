"""The BIOS text fonts: code page 437 in 8x8, 8x14 and 8x16 cells, drawn by pyx86 itself.

A PC BIOS carries bitmap fonts for the text modes and for INT 10h AX=1130h
(IBM VGA Technical Reference, "BIOS fonts": 256 characters, one byte per
scan line, bit 7 the leftmost pixel).  pyx86 does not copy anyone's bitmaps;
it makes its own when first asked (once per process):

* letters, digits, punctuation, the accented Latin letters, the Greek letters
  and the mathematical signs that the font bundled with pygame has are
  rendered from that outline font by FreeType (hinted, 1 bit per pixel) at a
  size that puts the capitals on a fixed baseline, squeezed into 7 columns
  (the 8th stays blank as the gap between characters), then shifted or shrunk
  so accents and descenders stay inside the cell;
* the box-drawing characters (B3h-DAh) are built from their four arms (none,
  single, double) on fixed lines, so neighbouring cells join; the shades
  (B0h-B2h) are dither patterns and the blocks (DBh-DFh) fill half cells;
* the symbols the outline font lacks (the card suits, arrows, musical notes,
  the triangles, the integral halves ...) are drawn from their geometry
  (discs, rings, polygons, strokes) on a supersampled grid.

Proportions start from the 1.35 : 1 pixel aspect of a 720x400 picture on a
4:3 screen (a symbol 7 pixels wide is drawn about 9.5 scan lines tall);
letters are then widened (``Cell.widen``), most in the 8x8 cell, where a
bold outline font's counters would otherwise close up.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

#: the character each code of code page 437 stands for (the symbol set of the IBM PC; 00h is NUL)
CP437 = ("\x00☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼"
         + bytes(range(0x20, 0x7F)).decode("ascii") + "⌂"
         + bytes(range(0x80, 0x100)).decode("cp437"))

WIDTH = 8            # pixels per scan line of a cell
INK_COLS = 7         # columns a letter may use (the last one separates characters)
ASPECT = 1.35        # pixel height / width on a 720x400 4:3 picture
SUPERSAMPLE = 4      # samples per pixel side when drawing geometry
_SRC_SIZE = 64.0     # nominal FreeType size used to measure the capitals


@dataclass(frozen=True)
class Cell:
    """Vertical layout of one font height (rows counted from the top of the cell)."""

    height: int
    cap_top: int         # first row of a capital letter
    baseline: int        # first row below the capitals
    bottom: int          # rows from here on stay blank (descenders end above)
    line: int            # the row of a single horizontal box-drawing line
    widen: float = 1.0   # letters this much wider than the outline font's proportions

    @property
    def box(self) -> tuple[float, float]:
        """Rows [top, bottom) of the square-looking area symbols are drawn in."""
        return float(self.cap_top), float(self.baseline)


CELLS = {
    8: Cell(8, 0, 7, 8, 3, 1.7),
    14: Cell(14, 2, 11, 13, 6, 1.35),
    16: Cell(16, 2, 12, 15, 7, 1.25),
}


# --- the outline font -------------------------------------------------------------------
@functools.cache
def _outline_font() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame.freetype as freetype
    except ImportError as e:          # pragma: no cover - pygame is a project dependency
        raise RuntimeError("the BIOS fonts are rendered with pygame's FreeType module: "
                           "install pygame (pygame-ce)") from e
    freetype.init()
    font = freetype.Font(None, _SRC_SIZE)         # the font bundled with pygame
    font.antialiased = False
    font.pad = False
    return font


@functools.cache
def _font_has(ch: str) -> bool:
    """Whether the bundled font has a glyph for ``ch`` (else FreeType draws its empty box)."""
    font = _outline_font()
    missing = font.render_raw("\ue000")
    return font.render_raw(ch) != missing


def _render(ch: str, cell: Cell, cols: int = INK_COLS) -> np.ndarray:
    """``ch`` from the outline font in a ``cell.height`` x ``cols`` bitmap, on the baseline."""
    font = _outline_font()
    cap = font.get_rect("H", size=_SRC_SIZE).y
    ysz = _SRC_SIZE * (cell.baseline - cell.cap_top) / cap
    xsz = ysz / ASPECT * cell.widen
    rect = font.get_rect(ch, size=(xsz, ysz))
    for _ in range(10):
        top = cell.baseline - rect.y
        if rect.w > cols:                                   # too wide: narrower
            xsz *= cols / rect.w * 0.97
        elif rect.h > cell.bottom:                          # too tall: smaller
            ysz *= cell.bottom / rect.h * 0.97
        elif top < 0 and top + rect.h <= cell.baseline + 1:  # accent above the cell: smaller
            ysz *= cell.baseline / (cell.baseline - top) * 0.99
        else:
            break
        rect = font.get_rect(ch, size=(xsz, ysz))
    buf, (w, h) = font.render_raw(ch, size=(xsz, ysz))
    out = np.zeros((cell.height, cols), dtype=bool)
    if not w or not h:
        return out
    ink = np.frombuffer(buf, dtype=np.uint8).reshape(h, w)[:, :cols] >= 128
    x0 = max(0, (cols - ink.shape[1] + 1) // 2)
    y0 = min(max(cell.baseline - rect.y, 0), cell.bottom - h)
    out[y0:y0 + h, x0:x0 + ink.shape[1]] = ink
    return out


# --- drawing from geometry --------------------------------------------------------------
class Canvas:
    """Sample points of a cell for shapes given in box coordinates.

    X runs from -1 (left edge of column 0) to +1 (right edge of column 6), Y
    from -1 (top of the symbol box) to +1 (its bottom); Y may go past the box
    to reach the cell edges.  Stroke widths are in pixels.
    """

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        n = SUPERSAMPLE
        ys = (np.arange(cell.height * n) + 0.5) / n
        xs = (np.arange(WIDTH * n) + 0.5) / n
        self.py, self.px = np.meshgrid(ys, xs, indexing="ij")     # pixel coordinates
        self.top, self.bottom = cell.box
        self.sx = INK_COLS / 2.0                                   # pixels per X unit
        self.sy = (self.bottom - self.top) / 2.0                   # pixels per Y unit
        self.X = self.px / self.sx - 1.0
        self.Y = (self.py - self.top) / self.sy - 1.0
        self.ink = np.zeros_like(self.px, dtype=bool)

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        return (x + 1.0) * self.sx, self.top + (y + 1.0) * self.sy

    def y_of_row(self, row: float) -> float:
        """Box Y of pixel row coordinate ``row``."""
        return (row - self.top) / self.sy - 1.0

    def ellipse(self, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
        return ((self.X - cx) / rx) ** 2 + ((self.Y - cy) / ry) ** 2 <= 1.0

    def ring(self, cx: float, cy: float, rx: float, ry: float, width: float = 1.0) -> np.ndarray:
        inner = self.ellipse(cx, cy, max(rx - width / self.sx, 1e-3), max(ry - width / self.sy, 1e-3))
        return self.ellipse(cx, cy, rx, ry) & ~inner

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return (self.X >= x0) & (self.X <= x1) & (self.Y >= y0) & (self.Y <= y1)

    def polygon(self, points: list[tuple[float, float]]) -> np.ndarray:
        """Inside of a polygon (even-odd rule)."""
        inside = np.zeros_like(self.ink)
        X, Y = self.X, self.Y
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
            if y0 == y1:
                continue
            crosses = (Y >= min(y0, y1)) & (Y < max(y0, y1))
            xcut = x0 + (Y - y0) * (x1 - x0) / (y1 - y0)
            inside ^= crosses & (X < xcut)
        return inside

    def stroke(self, points: list[tuple[float, float]], width: float = 1.0) -> np.ndarray:
        """A polyline ``width`` pixels thick (distance measured in pixels)."""
        out = np.zeros_like(self.ink)
        for a, b in zip(points, points[1:], strict=False):
            ax, ay = self.to_px(*a)
            bx, by = self.to_px(*b)
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy or 1e-9
            t = np.clip(((self.px - ax) * dx + (self.py - ay) * dy) / length2, 0.0, 1.0)
            ex, ey = self.px - (ax + t * dx), self.py - (ay + t * dy)
            out |= ex * ex + ey * ey <= (width / 2.0) ** 2
        return out

    def add(self, mask: np.ndarray) -> None:
        self.ink |= mask

    def cut(self, mask: np.ndarray) -> None:
        self.ink &= ~mask

    def bitmap(self) -> np.ndarray:
        n = SUPERSAMPLE
        cover = self.ink.reshape(self.cell.height, n, WIDTH, n).mean(axis=(1, 3))
        return cover >= 0.5


def _arrow(c: Canvas, direction: str, y0: float = -1.0, y1: float = 1.0) -> None:
    """A 1-pixel arrow: shaft plus a chevron head at the ends named in ``direction`` (udlr)."""
    head = 0.75
    ym = (y0 + y1) / 2
    if direction[0] in "ud":                        # vertical shaft on column 3
        c.add(c.stroke([(0.0, y0), (0.0, y1)]))
        hy = head * c.sx / c.sy                    # a 45-degree head in pixel terms
        if "u" in direction:
            c.add(c.stroke([(-head, y0 + hy), (0.0, y0), (head, y0 + hy)]))
        if "d" in direction:
            c.add(c.stroke([(-head, y1 - hy), (0.0, y1), (head, y1 - hy)]))
    else:                                           # horizontal shaft on the middle row
        row = math.floor(c.to_px(0.0, ym)[1]) + 0.5
        ym = c.y_of_row(row)
        c.add(c.stroke([(-1.0 + 0.15, ym), (1.0 - 0.15, ym)]))
        hx = 0.6
        hy = hx * c.sx / c.sy
        if "l" in direction:
            c.add(c.stroke([(-1.0 + 0.15 + hx, ym - hy), (-0.85, ym), (-1.0 + 0.15 + hx, ym + hy)]))
        if "r" in direction:
            c.add(c.stroke([(0.85 - hx, ym - hy), (0.85, ym), (0.85 - hx, ym + hy)]))


def _heart(c: Canvas, flip: bool = False) -> np.ndarray:
    """The heart curve (x^2 + y^2 - 1)^3 <= x^2 y^3, fitted to the box."""
    x = c.X * 1.16
    y = (c.Y if flip else -c.Y) * 1.2 + 0.12
    return (x * x + y * y - 1.0) ** 3 - x * x * y ** 3 <= 0.0


def _face(c: Canvas, filled: bool) -> None:
    eyes = c.rect(-0.5, -0.45, -0.2, -0.15) | c.rect(0.2, -0.45, 0.5, -0.15)
    mouth = c.ring(0.0, -0.05, 0.6, 0.6) & (c.Y > 0.25)
    if filled:
        c.add(c.ellipse(0.0, 0.0, 1.0, 1.0))
        c.cut(eyes | mouth)
    else:
        c.add(c.ring(0.0, 0.0, 1.0, 1.0) | eyes | mouth)


def _draw_symbol(code: int, c: Canvas) -> None:
    """Symbols the outline font lacks, from their geometry."""
    if code in (0x01, 0x02):                        # ☺ ☻
        _face(c, code == 0x02)
    elif code == 0x03:                              # ♥
        c.add(_heart(c))
    elif code == 0x04:                              # ♦
        c.add(np.abs(c.X) / 0.9 + np.abs(c.Y) <= 1.0)
    elif code == 0x05:                              # ♣
        c.add(c.ellipse(0.0, -0.55, 0.38, 0.38) | c.ellipse(-0.6, 0.12, 0.38, 0.38)
              | c.ellipse(0.6, 0.12, 0.38, 0.38) | c.polygon([(0.0, -0.2), (0.35, 1.0), (-0.35, 1.0)]))
    elif code == 0x06:                              # ♠
        c.add((_heart(c, flip=True) & (c.Y < 0.6)) | c.polygon([(0.0, 0.0), (0.4, 1.0), (-0.4, 1.0)]))
    elif code == 0x09:                              # ○
        c.add(c.ring(0.0, 0.0, 0.75, 0.75))
    elif code == 0x0B:                              # ♂
        c.add(c.ring(-0.3, 0.35, 0.62, 0.62))
        c.add(c.stroke([(0.15, -0.1), (0.9, -0.9)]) | c.stroke([(0.2, -0.9), (0.9, -0.9), (0.9, -0.25)]))
    elif code == 0x0C:                              # ♀
        c.add(c.ring(0.0, -0.35, 0.65, 0.65))
        c.add(c.stroke([(0.0, 0.3), (0.0, 1.0)]) | c.stroke([(-0.6, 0.65), (0.6, 0.65)]))
    elif code == 0x0D:                              # ♪
        c.add(c.ellipse(-0.35, 0.72, 0.55, 0.3))
        c.add(c.stroke([(0.15, 0.7), (0.15, -1.0), (0.85, -0.4)]))
    elif code == 0x0E:                              # ♫
        c.add(c.ellipse(-0.55, 0.78, 0.42, 0.25) | c.ellipse(0.55, 0.58, 0.42, 0.25))
        c.add(c.stroke([(-0.2, 0.75), (-0.2, -0.8)]) | c.stroke([(0.9, 0.55), (0.9, -1.0)]))
        c.add(c.stroke([(-0.2, -0.8), (0.9, -1.0)], width=1.6))
    elif code == 0x0F:                              # ☼
        c.add(c.ring(0.0, 0.0, 0.5, 0.5))
        for k in range(8):
            a = k * math.pi / 4
            c.add(c.stroke([(0.62 * math.cos(a), 0.62 * math.sin(a)), (math.cos(a), math.sin(a))]))
    elif code == 0x10:                              # ►
        c.add(c.polygon([(-0.9, -0.9), (0.9, 0.0), (-0.9, 0.9)]))
    elif code == 0x11:                              # ◄
        c.add(c.polygon([(0.9, -0.9), (-0.9, 0.0), (0.9, 0.9)]))
    elif code == 0x1E:                              # ▲
        c.add(c.polygon([(0.0, -0.8), (1.0, 0.8), (-1.0, 0.8)]))
    elif code == 0x1F:                              # ▼
        c.add(c.polygon([(0.0, 0.8), (1.0, -0.8), (-1.0, -0.8)]))
    elif code == 0x12:                              # ↕
        _arrow(c, "ud")
    elif code == 0x17:                              # ↨
        _arrow(c, "ud", -1.0, 0.55)
        c.add(c.stroke([(-0.85, 1.0), (0.85, 1.0)]))
    elif code == 0x18:                              # ↑
        _arrow(c, "u")
    elif code == 0x19:                              # ↓
        _arrow(c, "d")
    elif code == 0x1A:                              # →
        _arrow(c, "r")
    elif code == 0x1B:                              # ←
        _arrow(c, "l")
    elif code == 0x1D:                              # ↔
        _arrow(c, "lr")
    elif code == 0x13:                              # ‼
        for x in (-0.55, 0.55):
            c.add(c.rect(x - 0.3, -1.0, x + 0.3, 0.45) | c.rect(x - 0.3, 0.75, x + 0.3, 1.0))
    elif code == 0x16:                              # ▬
        c.add(c.rect(-1.0, 0.35, 1.0, 1.0))
    elif code == 0x1C:                              # ∟
        c.add(c.stroke([(-0.85, -0.1), (-0.85, 0.9), (0.85, 0.9)]))
    elif code == 0x7F:                              # ⌂
        c.add(c.stroke([(-0.85, 0.9), (-0.85, 0.0), (0.0, -0.85), (0.85, 0.0), (0.85, 0.9), (-0.85, 0.9)]))
    elif code == 0xEF:                              # ∩
        c.add((c.ring(0.0, -0.1, 0.85, 0.75) & (c.Y <= -0.1))
              | c.stroke([(-0.7, -0.1), (-0.7, 1.0)]) | c.stroke([(0.7, -0.1), (0.7, 1.0)]))
    elif code == 0xF0:                              # ≡
        for y in (-0.55, 0.05, 0.65):
            c.add(c.stroke([(-0.85, y), (0.85, y)]))
    elif code == 0xF9:                              # ∙
        c.add(c.ellipse(0.0, 0.1, 0.32, 0.28))
    elif code == 0xFE:                              # ■
        c.add(c.rect(-0.72, -0.55, 0.72, 0.65))


def _integral_top(cell: Cell) -> np.ndarray:
    """⌠: a hook at the top of the symbol box, the stem running on to the bottom edge
    (so ⌡ in the row below continues it)."""
    img = np.zeros((cell.height, INK_COLS), dtype=bool)
    t = cell.cap_top
    img[t, 4:6] = True
    img[t + 1, 6] = True
    img[t + 1:, 3] = True
    return img


def _infinity(cell: Cell) -> np.ndarray:
    """∞: two loops sharing column 3, on the middle rows of the symbol box."""
    img = np.zeros((cell.height, INK_COLS), dtype=bool)
    inner = 2 if cell.height > 8 else 1
    top = (cell.cap_top + cell.baseline) // 2 - inner // 2
    img[top, [1, 2, 4, 5]] = True
    img[top + 1:top + 1 + inner, [0, 3, 6]] = True
    img[top + 1 + inner, [1, 2, 4, 5]] = True
    return img


def _almost_equal(cell: Cell) -> np.ndarray:
    """≈: two tildes, each a rise and a fall over two scan lines."""
    img = np.zeros((cell.height, INK_COLS), dtype=bool)
    mid = (cell.cap_top + cell.baseline) // 2
    gap = 3 if cell.height > 8 else 2
    for top in (mid - gap, mid + 1):
        img[top, 1:4] = True
        img[top + 1, 0] = True
        img[top + 1, 4:7] = True
    return img


# --- box drawing, shades and blocks --------------------------------------------------------
# Arms (up, down, left, right) of B3h-DAh: 0 none, 1 single line, 2 double line
_BOX_ARMS: dict[int, tuple[int, int, int, int]] = {
    0xB3: (1, 1, 0, 0), 0xB4: (1, 1, 1, 0), 0xB5: (1, 1, 2, 0), 0xB6: (2, 2, 1, 0),
    0xB7: (0, 2, 1, 0), 0xB8: (0, 1, 2, 0), 0xB9: (2, 2, 2, 0), 0xBA: (2, 2, 0, 0),
    0xBB: (0, 2, 2, 0), 0xBC: (2, 0, 2, 0), 0xBD: (2, 0, 1, 0), 0xBE: (1, 0, 2, 0),
    0xBF: (0, 1, 1, 0), 0xC0: (1, 0, 0, 1), 0xC1: (1, 0, 1, 1), 0xC2: (0, 1, 1, 1),
    0xC3: (1, 1, 0, 1), 0xC4: (0, 0, 1, 1), 0xC5: (1, 1, 1, 1), 0xC6: (1, 1, 0, 2),
    0xC7: (2, 2, 0, 1), 0xC8: (2, 0, 0, 2), 0xC9: (0, 2, 0, 2), 0xCA: (2, 0, 2, 2),
    0xCB: (0, 2, 2, 2), 0xCC: (2, 2, 0, 2), 0xCD: (0, 0, 2, 2), 0xCE: (2, 2, 2, 2),
    0xCF: (1, 0, 2, 2), 0xD0: (2, 0, 1, 1), 0xD1: (0, 1, 2, 2), 0xD2: (0, 2, 1, 1),
    0xD3: (2, 0, 0, 1), 0xD4: (1, 0, 0, 2), 0xD5: (0, 1, 0, 2), 0xD6: (0, 2, 0, 1),
    0xD7: (2, 2, 1, 1), 0xD8: (1, 1, 2, 2), 0xD9: (1, 0, 1, 0), 0xDA: (0, 1, 0, 1),
}
BOX_COL = 3          # the column of a single vertical line (double lines: BOX_COL +- 1)


def box_arms(code: int) -> tuple[int, int, int, int] | None:
    """(up, down, left, right) line weights of box-drawing character ``code`` (0, 1 or 2)."""
    return _BOX_ARMS.get(code)


def _box(arms: tuple[int, int, int, int], cell: Cell) -> np.ndarray:
    """A box-drawing character from its arms.

    Lines sit on fixed places (column BOX_COL, row ``cell.line``; double lines
    one pixel either side of them) and every arm reaches its cell edge, so
    neighbouring characters join.  Where only double lines meet they trace the
    outline of the union of the double bands, as a double-ruled frame does.  A
    single line crossing a double one stops at its near line, or at its far
    line where the double line ends there (a corner).
    """
    H = cell.height
    img = np.zeros((H, WIDTH), dtype=bool)
    up, down, left, right = arms
    cx, cy = BOX_COL, cell.line
    vdouble = up == 2 or down == 2
    hdouble = left == 2 or right == 2
    if vdouble and hdouble:                       # double lines only (in code page 437)
        band = np.zeros((H + 2, WIDTH + 2), dtype=bool)    # a margin so the cell edges stay open
        r, c = cy + 1, cx + 1
        band[r - 1:r + 2, c - 1:c + 2] = True
        if up:
            band[:r, c - 1:c + 2] = True
        if down:
            band[r:, c - 1:c + 2] = True
        if left:
            band[r - 1:r + 2, :c] = True
        if right:
            band[r - 1:r + 2, c:] = True
        core = band[1:-1, 1:-1].copy()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                core &= band[1 + dy:H + 1 + dy, 1 + dx:WIDTH + 1 + dx]
        return band[1:-1, 1:-1] & ~core
    if vdouble:                                   # vertical double line, single arms across
        rows = slice(0 if up else cy, H if down else cy + 1)
        img[rows, cx - 1] = img[rows, cx + 1] = True
        through = bool(up and down)
        if left:
            img[cy, :(cx - 1 if through else cx + 1) + 1] = True
        if right:
            img[cy, (cx + 1 if through else cx - 1):] = True
        return img
    if hdouble:                                   # horizontal double line, single arms across
        cols = slice(0 if left else cx, WIDTH if right else cx + 1)
        img[cy - 1, cols] = img[cy + 1, cols] = True
        through = bool(left and right)
        if up:
            img[:(cy - 1 if through else cy + 1) + 1, cx] = True
        if down:
            img[(cy + 1 if through else cy - 1):, cx] = True
        return img
    if up:                                        # single lines only
        img[:cy + 1, cx] = True
    if down:
        img[cy:, cx] = True
    if left:
        img[cy, :cx + 1] = True
    if right:
        img[cy, cx:] = True
    return img


def _shade(code: int, cell: Cell) -> np.ndarray:
    """B0h-B2h: a quarter, half and three quarters of the pixels lit, evenly spread."""
    y, x = np.mgrid[0:cell.height, 0:WIDTH]
    quarter = (x + 2 * (y % 2)) % 4 == 0
    if code == 0xB0:
        return quarter
    if code == 0xB1:
        return (x + y) % 2 == 0
    return ~((x + 2 * (y % 2)) % 4 == 2)


def _block(code: int, cell: Cell) -> np.ndarray:
    """DBh full block, DCh lower half, DDh left half, DEh right half, DFh upper half."""
    img = np.zeros((cell.height, WIDTH), dtype=bool)
    half = cell.height // 2
    if code == 0xDB:
        img[:] = True
    elif code == 0xDC:
        img[half:] = True
    elif code == 0xDD:
        img[:, :WIDTH // 2] = True
    elif code == 0xDE:
        img[:, WIDTH // 2:] = True
    else:
        img[:half] = True
    return img


# --- assembling a font ------------------------------------------------------------------
def _pad(ink: np.ndarray) -> np.ndarray:
    """A 7-column drawing in an 8-column cell."""
    out = np.zeros((ink.shape[0], WIDTH), dtype=bool)
    out[:, :ink.shape[1]] = ink
    return out


def _disambiguate(code: int, img: np.ndarray, cell: Cell) -> np.ndarray:
    """Serifs on I and a foot on 1, so they differ from l and t in every size."""
    rows = np.nonzero(img.any(axis=1))[0]
    cols = np.nonzero(img.any(axis=0))[0]
    if not len(rows):
        return img
    top, bot = rows[0], rows[-1]
    left, right = cols[0], cols[-1]
    if code == ord("I"):
        img[top, max(left - 1, 0):right + 2] = True
        img[bot, max(left - 1, 0):right + 2] = True
    elif code == ord("1"):
        img[bot, max(left - 1, 0):min(right + 2, INK_COLS)] = True
    return img


def _glyph(code: int, cell: Cell) -> np.ndarray:
    ch = CP437[code]
    if code in _BOX_ARMS:
        return _box(_BOX_ARMS[code], cell)
    if code in (0xB0, 0xB1, 0xB2):
        return _shade(code, cell)
    if 0xDB <= code <= 0xDF:
        return _block(code, cell)
    if code in (0x00, 0x20, 0xFF):
        return np.zeros((cell.height, WIDTH), dtype=bool)
    if code in (0x08, 0x0A):                        # ◘ ◙: the bullet / the circle in negative
        return ~_glyph(0x07 if code == 0x08 else 0x09, cell)
    if code == 0xF4:                                # ⌠
        return _pad(_integral_top(cell))
    if code == 0xF5:                                # ⌡: ⌠ turned half a turn about column 3
        return _pad(_integral_top(cell)[::-1, ::-1])
    if code == 0xF7:                                # ≈
        return _pad(_almost_equal(cell))
    if code == 0xEC:                                # ∞
        return _pad(_infinity(cell))
    if code == 0xA9:                                # ⌐: ¬ mirrored
        return _pad(_render("¬", cell)[:, ::-1])
    if code == 0x9E:                                # ₧: P and t side by side
        return _pad(np.concatenate([_render("P", cell, 4), _render("t", cell, 3)], axis=1))
    if code == 0xFC:                                # ⁿ: a small n up high
        small = Cell(cell.height, cell.cap_top, cell.cap_top + (cell.baseline - cell.cap_top) * 2 // 3,
                     cell.bottom, cell.line)
        return _pad(_render("n", small))
    if _font_has(ch):
        return _disambiguate(code, _pad(_render(ch, cell)), cell)
    canvas = Canvas(cell)
    _draw_symbol(code, canvas)
    return canvas.bitmap()


def _pack(img: np.ndarray) -> bytes:
    return np.packbits(img, axis=1).tobytes()


@functools.cache
def _font(height: int) -> bytes:
    cell = CELLS[height]
    return b"".join(_pack(_glyph(code, cell)) for code in range(256))


def font8x8() -> bytes:
    """The 8x8 font: 256 characters of 8 bytes (2048 bytes), row 0 first, bit 7 leftmost."""
    return _font(8)


def font8x14() -> bytes:
    """The 8x14 font (EGA / VGA 350-line text): 256 x 14 bytes."""
    return _font(14)


def font8x16() -> bytes:
    """The 8x16 font (VGA 400-line text): 256 x 16 bytes."""
    return _font(16)


def font(height: int) -> bytes:
    """The font with ``height`` scan lines per character (8, 14 or 16)."""
    if height not in CELLS:
        raise ValueError(f"no {height}-line BIOS font (8, 14 or 16)")
    return _font(height)


def glyph_rows(data: bytes, code: int, height: int) -> list[str]:
    """Character ``code`` of a font as text rows ('#' ink, '.' blank), for tests and debugging."""
    rows = data[code * height:(code + 1) * height]
    return ["".join("#" if b & (0x80 >> x) else "." for x in range(WIDTH)) for b in rows]

