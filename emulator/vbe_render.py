"""The VBE modes as pixels: the dispi registers and the video memory to an RGB frame.

The frame of the mode the display interface (:mod:`devices.vbe`) has on:
``YRES`` lines of ``XRES`` pixels, line ``y`` starting at byte
``(Y_OFFSET + y) * pitch + X_OFFSET * bytes_per_pixel`` of the video memory,
``pitch = VIRT_WIDTH * bytes_per_pixel`` (VBE 3.0 functions 06h and 07h: logical
scan line length and display start).  Bytes past the end of the video memory
show black.  Pixel formats (VBE 3.0, ModeInfoBlock memory models 4 and 6;
little-endian, as the RGB field positions of :mod:`bios.vbe` describe them):

* 8 bpp packed pixel: the DAC entry after the PEL mask, as the VGA renderer
  shows it (:func:`emulator.vga_render.dac_rgb`): 6-bit entries scaled to 8
  bits, or, with the 8-bit DAC flag (VBE function 08h), 8-bit values as they are;
* 15 bpp: x:1 R:5 G:5 B:5; 16 bpp: R:5 G:6 B:5 (components widened to 8 bits
  by repeating their top bits); 24 bpp: B, G, R bytes; 32 bpp: B, G, R, x.

Frames are never scaled (640x480, 800x600, 1024x768 ... come out at their
size; the window scales them).  Redrawing is cheap when nothing changed: the
linear framebuffer is written by the CPU core without a dirty flag, so each
call compares the displayed bytes of video memory with a copy kept from the
last frame (a memory compare, about 0.3 ms for 800x600x32) together with the
registers and, at 8 bpp, the palette; when all are equal the last frame (the
same array object) is returned.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from devices.vbe import bytes_per_pixel
from emulator.vga_render import dac_rgb

if TYPE_CHECKING:
    from devices.vbe import DisplayInterface
    from emulator.machine import Machine


def _widen(bits: int) -> np.ndarray:
    """(2**bits,) uint8: a ``bits``-wide component as 8 bits (top bits repeated below)."""
    v = np.arange(1 << bits, dtype=np.uint16)
    return ((v << (8 - bits)) | (v >> (2 * bits - 8))).astype(np.uint8)


def _direct_table(red: tuple[int, int], green: tuple[int, int], blue: tuple[int, int]) -> np.ndarray:
    """(65536, 3) uint8: 16-bit pixel -> RGB for fields given as (size, position)."""
    pix = np.arange(1 << 16, dtype=np.uint32)
    table = np.empty((1 << 16, 3), dtype=np.uint8)
    for i, (size, pos) in enumerate((red, green, blue)):
        table[:, i] = _widen(size)[(pix >> pos) & ((1 << size) - 1)]
    return table


_RGB15 = _direct_table((5, 10), (5, 5), (5, 0))
_RGB16 = _direct_table((5, 11), (6, 5), (5, 0))


@dataclass
class _Cache:
    key: tuple = ()
    memory: np.ndarray | None = None
    frame: np.ndarray | None = None


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def displayed_memory(dev: DisplayInterface) -> np.ndarray:
    """(YRES, XRES * bytes a pixel) uint8 of the shown bytes (a view when it lies in memory)."""
    bpp = bytes_per_pixel(dev.bpp)
    width, height, pitch = dev.xres * bpp, dev.yres, dev.pitch
    start = dev.display_start
    vram = dev.vram
    size = len(vram)
    if start + (height - 1) * pitch + width <= size:
        return np.lib.stride_tricks.as_strided(vram[start:], shape=(height, width),
                                               strides=(pitch, 1), writeable=False)
    out = np.zeros((height, width), dtype=np.uint8)       # partly past the end: black there
    for y in range(height):
        line = start + y * pitch
        if line >= size:
            break
        chunk = vram[line:min(line + width, size)]
        out[y, :len(chunk)] = chunk
    return out


def convert(memory: np.ndarray, bpp: int, colours: np.ndarray | None) -> np.ndarray:
    """An ``H x W x 3`` RGB frame of the displayed bytes ``memory`` at ``bpp`` bits a pixel
    (``colours``: the 256-entry palette at 8 bpp)."""
    height = memory.shape[0]
    if bpp == 8:
        assert colours is not None
        return np.take(colours, memory, axis=0)
    if bpp in (15, 16):
        words = np.ascontiguousarray(memory).view("<u2")
        return np.take(_RGB15 if bpp == 15 else _RGB16, words, axis=0)
    step = 3 if bpp == 24 else 4
    pixels = memory.reshape(height, -1, step)
    return np.ascontiguousarray(pixels[:, :, 2::-1])


def render(machine: Machine) -> np.ndarray:
    """The frame of the current VBE mode (``machine.vbe`` enabled) as ``H x W x 3`` uint8 RGB;
    the previous frame object itself when neither memory, registers nor palette changed."""
    dev = machine.vbe
    colours = dac_rgb(machine) if dev.bpp == 8 else None
    key = (dev.xres, dev.yres, dev.bpp, dev.virt_width, dev.display_start,
           None if colours is None else colours.tobytes())
    memory = displayed_memory(dev)
    cache = _caches.get(machine)
    if cache is None:
        cache = _caches[machine] = _Cache()
    if (cache.frame is not None and cache.key == key and cache.memory is not None
            and np.array_equal(cache.memory, memory)):
        return cache.frame
    cache.key = key
    cache.memory = np.array(memory)
    cache.frame = convert(cache.memory, dev.bpp, colours)
    return cache.frame
