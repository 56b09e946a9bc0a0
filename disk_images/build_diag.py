"""Build ``disk_images/diag.img``, the pyx86 diagnostics floppy, from ``disk_images/diag/diag.asm``.

    python disk_images/build_diag.py            # rewrites disk_images/diag.img
    python disk_images/build_diag.py -o x.img   # writes elsewhere

Needs keystone (``pip install keystone-engine``, a test dependency); the image
is committed, so running pyx86 never needs it.  The build is deterministic:
the same source gives the same bytes.

Before assembling, the source is rewritten:

* comments (``;`` to the end of a line) are dropped: keystone reads ``;`` as a
  statement separator (a ``;`` inside a string is cut as well: write none);
* ``CALL16 label`` / ``JMP16 label`` become ``E8`` / ``E9`` with a 16-bit
  displacement, ``RET16`` becomes ``C3`` and ``RETF16`` ``CB``: keystone encodes
  near CALL, RET and JMP and far RET with a 66h operand-size prefix in 16-bit
  mode, which would push and pop 32-bit return addresses;
* the text up to the line starting ``; @@ program`` is the boot sector (origin
  7C00h; padded to 510 bytes, then 55h AAh), the rest the program (origin
  7E00h, from sector 2 on); ``NSECT`` in the boot sector becomes the number of
  sectors the program takes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "diag" / "diag.asm"
IMAGE = HERE / "diag.img"
ORIGIN = 0x7C00
SECTOR = 512
IMAGE_SIZE = 40 * 1 * 8 * SECTOR        # 160 KiB: 40 cylinders, 1 head, 8 sectors per track
MAX_SECTORS = 8 * 40 - 1
PROGRAM_MARK = "\n; @@ program"

_CONSTANT = re.compile(r"^[A-Za-z_]\w*\s*=")
_PSEUDO = re.compile(r"^(\s*)(CALL16|JMP16)\s+([A-Za-z_.][\w.]*)\s*$")
_RETURNS = {"RET16": 0xC3, "RETF16": 0xCB}


def preprocess(source: str, sectors: int) -> str:
    """The keystone-ready text of ``source`` (see the module docstring)."""
    out = []
    for line in source.splitlines():
        line = line.split(";", 1)[0].rstrip()
        m = _PSEUDO.match(line)
        if m:
            opcode = 0xE8 if m.group(2) == "CALL16" else 0xE9
            out.append(f"{m.group(1)}.byte {opcode:#04x}")
            out.append(f"{m.group(1)}.word {m.group(3)} - (. + 2)")
        elif line.strip() in _RETURNS:
            out.append(f"    .byte {_RETURNS[line.strip()]:#04x}")
        else:
            out.append(re.sub(r"\bNSECT\b", str(sectors), line))
    return "\n".join(out) + "\n"


def assemble(text: str, origin: int) -> bytes:
    from keystone import KS_ARCH_X86, KS_MODE_16, Ks

    encoding, _ = Ks(KS_ARCH_X86, KS_MODE_16).asm(text, origin)
    return bytes(encoding or b"")


def build(source: str | None = None) -> bytes:
    """The whole floppy image (``IMAGE_SIZE`` bytes)."""
    if source is None:
        source = SOURCE.read_text()
    boot_src, sep, program_src = source.partition(PROGRAM_MARK)
    if not sep:
        raise ValueError(f"no {PROGRAM_MARK!r} line in the source")
    program_src = program_src.partition("\n")[2]          # the rest of the marker line
    # the constants (NAME = value lines) of the boot sector part hold for the program too
    constants = "\n".join(line for line in boot_src.splitlines() if _CONSTANT.match(line))
    program = assemble(preprocess(constants + "\n" + program_src, 0), ORIGIN + SECTOR)
    sectors = (len(program) + SECTOR - 1) // SECTOR
    if sectors > MAX_SECTORS:
        raise ValueError(f"the program needs {sectors} sectors; the disk has {MAX_SECTORS}")
    boot = assemble(preprocess(boot_src, sectors), ORIGIN)
    if len(boot) > SECTOR - 2:
        raise ValueError(f"the boot sector code is {len(boot)} bytes; at most {SECTOR - 2} fit")
    image = bytearray(IMAGE_SIZE)
    image[: len(boot)] = boot
    image[SECTOR - 2: SECTOR] = b"\x55\xaa"
    image[SECTOR: SECTOR + len(program)] = program
    return bytes(image)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-o", "--output", type=Path, default=IMAGE, help=f"image to write (default {IMAGE})")
    args = parser.parse_args(argv)
    image = build()
    args.output.write_bytes(image)
    used = len(image.rstrip(b"\0"))
    print(f"{args.output}: {len(image)} bytes ({used} used)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
