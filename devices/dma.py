"""The PC/AT DMA subsystem: two Intel 8237A-5 controllers and the 74LS612 page registers.

References: Intel *8237A High Performance Programmable DMA Controller (8237A,
8237A-4, 8237A-5)*, order no. 231466, cited as [8237] with the section name;
IBM *Personal Computer AT Technical Reference*, "System Board" / "DMA
Controller" and "I/O Address Map", cited as [AT].

Wiring ([AT] "DMA Controller"):

* Controller 1 serves the 8-bit channels 0-3 at ports 00h-0Fh (its A3-A0 are
  the port's A3-A0; the AT also decodes 10h-1Fh as an alias, which is not
  claimed here).
* Controller 2 serves the 16-bit channels 4-7 at C0h-DFh.  Its A3-A0 pins are
  connected to the bus lines A4-A1 and A0 is not decoded, so register ``n`` is
  at C0h + 2n and each odd port is an alias of the even port below it (C1h =
  C0h, ...).  A word OUT to C0h thus writes the low byte then the high byte
  into the same register, exactly as two byte OUTs would.
* Controller 1's HRQ drives DREQ4 and DACK4 is its HLDA: channels 0-3 only get
  the bus while controller 2 is enabled, channel 4 is unmasked and in cascade
  mode (the BIOS programs mode C0h into D6h and unmasks channel 4 at POST).
* The page registers (a 74LS612 addressed by A3-A0 of ports 80h-8Fh) provide
  A23-A16: 87h ch0, 83h ch1, 81h ch2, 82h ch3, 8Fh ch4 (refresh), 8Bh ch5,
  89h ch6, 8Ah ch7.  The other locations (84h-86h, 88h, 8Ch-8Eh) are plain
  read/write bytes.  Port 80h, the same chip's register 0, is left to the POST
  code port device and is not claimed here.
* 8-bit channels address byte ``page << 16 | address``; the 16-bit address
  counter does not carry into the page, so a transfer wraps within its 64 KiB
  page.  16-bit channels count words: the 8237's address bits drive A16-A1,
  page bits 7-1 drive A23-A17 (page bit 0 is ignored), so a transfer wraps
  within its 128 KiB block.  Counts are in transfers (bytes or words) minus
  one ([8237] "Current Word Register": TC comes when the count rolls over from
  0 to FFFFh).

Registers of each controller ([8237] "Register Description", Figure "Software
Command Codes", Table "Word Count and Address Register Command Codes"):

* 0-7: channel address / word count.  Writes go to both the base and current
  registers; reads give the current register.  The byte pointer flip-flop
  selects the low (0) or high (1) byte and toggles on every access.
* 8: write command register / read status register (bits 3-0 TC reached,
  cleared by the read; bits 7-4 requests pending).  Command bit 2 (controller
  disable) is honoured; the other bits are stored only.
* 9: request register (bits 1-0 channel, bit 2 set/clear).  10 (Ah): single
  mask bit.  11 (Bh): mode register.  12 (Ch): clear byte pointer.  13 (Dh):
  write = master clear, read = temporary register.  14 (Eh): clear mask
  register.  15 (Fh): write all mask bits.
* [8237] lists reads of 9-Ch and Eh-Fh as illegal: 9h-Ch and Eh read FFh here.
  A read of Fh returns the mask bits in bits 3-0 (bits 7-4 read 1), as later
  compatible controllers do.

Device side.  A device (floppy controller, Sound Blaster) moves data with
:meth:`DMA.transfer_to_memory` (a [8237] "write transfer", I/O to memory) or
:meth:`DMA.transfer_from_memory` (a "read transfer").  The calls are
synchronous: one call moves as many bytes as the device offers / wants, up to
the channel's terminal count, which always ends the call, so the device sees
TC (the EOP pulse the AT routes to the adapters' T/C line) on the right byte.
What happens to memory is decided by the channel's programmed transfer type
([8237] "Transfer Types"): memory is written only by a write transfer and read
only by a read transfer; verify (and the illegal type 11) consume the count
without any memory cycle, and so does a transfer in the opposite direction of
the one the device asks for (its data is lost; a device reading gets FFh).

Modelling choices: demand, single and block modes behave alike (the device
decides how much to move per call); priority (fixed/rotating) does not matter
because transfers are not interleaved.  DREQ levels (:meth:`DMA.set_dreq`) and
software requests show in the status register; the request register never
starts a transfer by itself.  Transfers beyond the end of ``ram`` read FFh and
their writes are dropped.

Not modelled: memory-to-memory transfers (command bit 0; the temporary register
therefore always reads 0), channel 0 address hold, compressed/extended timing,
DREQ/DACK sense inversion (command bits 6-7), external EOP input, bus timing.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Device

# --- mode register ([8237] "Mode Register") ------------------------------------------------
XFER_VERIFY, XFER_WRITE, XFER_READ, XFER_ILLEGAL = 0, 1, 2, 3
MODE_AUTOINIT = 0x10
MODE_DECREMENT = 0x20
MODE_DEMAND, MODE_SINGLE, MODE_BLOCK, MODE_CASCADE = 0x00, 0x40, 0x80, 0xC0
MODE_SELECT = 0xC0

# --- command register ([8237] "Command Register") ------------------------------------------
CMD_MEM_TO_MEM = 0x01
CMD_DISABLE = 0x04

# --- register offsets within a controller ([8237] Figure "Software Command Codes") ------------
REG_STATUS_COMMAND = 0x8
REG_REQUEST = 0x9
REG_SINGLE_MASK = 0xA
REG_MODE = 0xB
REG_CLEAR_FLIPFLOP = 0xC
REG_MASTER_CLEAR_TEMP = 0xD
REG_CLEAR_MASK = 0xE
REG_ALL_MASK = 0xF

#: 74LS612 register (port 80h + index) holding A23-A16 for each channel ([AT] "I/O Address Map")
PAGE_INDEX: tuple[int, ...] = (0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA)


def _reverse_units(chunk: bytes, width: int) -> bytes:
    """Reverse the order of ``width``-byte units, keeping byte order within a unit."""
    if width == 1:
        return chunk[::-1]
    return np.frombuffer(chunk, np.uint8).reshape(-1, width)[::-1].tobytes()


class DMA(Device):
    """Both AT 8237A-5 controllers plus the page registers; channels are numbered 0-7."""

    NAME = "dma"
    STATE_VERSION = 1
    STATE_FIELDS = (
        "base_addr", "cur_addr", "base_count", "cur_count",   # per channel, 16-bit
        "mode",                                               # per channel, mode bits 7-2
        "page",                                               # the 16 74LS612 bytes (80h-8Fh)
        "command", "mask", "request", "tc_status", "flipflop",  # per controller
        "dreq", "tc_reached",                                  # per channel, device side
    )

    CHANNELS: ClassVar[int] = 8

    def __init__(self, ram: np.ndarray) -> None:
        self.ram = ram                 # wiring: uint8 view of guest physical memory from 0
        self.reset()

    # --- power-on / reset -----------------------------------------------------------------
    def reset(self) -> None:
        """Power-on state: registers zero, all channels masked ([8237] "Master Clear")."""
        self.base_addr: list[int] = [0] * 8
        self.cur_addr: list[int] = [0] * 8
        self.base_count: list[int] = [0] * 8
        self.cur_count: list[int] = [0] * 8
        self.mode: list[int] = [0] * 8
        self.page: list[int] = [0] * 16
        self.command: list[int] = [0, 0]
        self.mask: list[int] = [0xF, 0xF]
        self.request: list[int] = [0, 0]
        self.tc_status: list[int] = [0, 0]
        self.flipflop: list[int] = [0, 0]
        self.dreq: list[int] = [0] * 8
        self.tc_reached: list[bool] = [False] * 8

    def master_clear(self, ctrl: int) -> None:
        """[8237] "Master Clear": command, status, request, temporary and flip-flop cleared, all masked.

        Mode, address and count registers keep their contents.
        """
        self.command[ctrl] = 0
        self.tc_status[ctrl] = 0
        self.request[ctrl] = 0
        self.flipflop[ctrl] = 0
        self.mask[ctrl] = 0xF
        for ch in range(4 * ctrl, 4 * ctrl + 4):
            self.tc_reached[ch] = False

    # --- ports ----------------------------------------------------------------------------
    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x00, 0x10), (0x81, 0x0F), (0xC0, 0x20)]

    @staticmethod
    def _decode(port: int) -> tuple[int, int] | None:
        """(controller, register) for a controller port, None otherwise ([AT] address decode)."""
        if 0x00 <= port <= 0x0F:
            return 0, port
        if 0xC0 <= port <= 0xDF:
            return 1, (port >> 1) & 0xF          # A4-A1 -> A3-A0, A0 not decoded
        return None

    def io_read(self, port: int, size: int) -> int:
        port &= 0xFFFF
        if 0x81 <= port <= 0x8F:
            return self.page[port & 0xF]
        where = self._decode(port)
        if where is None:
            return 0xFF
        ctrl, reg = where
        if reg < 8:
            ch = 4 * ctrl + (reg >> 1)
            value = self.cur_count[ch] if reg & 1 else self.cur_addr[ch]
            return self._flip(ctrl, value)
        if reg == REG_STATUS_COMMAND:
            value = self.tc_status[ctrl] | self._request_bits(ctrl) << 4
            self.tc_status[ctrl] = 0             # [8237] "Status Register": cleared on each read
            return value
        if reg == REG_MASTER_CLEAR_TEMP:
            return 0                             # temporary register: only memory-to-memory loads it
        if reg == REG_ALL_MASK:
            return 0xF0 | self.mask[ctrl]
        return 0xFF                              # [8237] "Software Command Codes": illegal reads

    def _flip(self, ctrl: int, value: int) -> int:
        """The byte the pointer flip-flop selects, toggling it ([8237] "Clear First/Last Flip-Flop")."""
        high = self.flipflop[ctrl]
        self.flipflop[ctrl] ^= 1
        return (value >> 8) & 0xFF if high else value & 0xFF

    def io_write(self, port: int, size: int, value: int) -> None:
        port &= 0xFFFF
        value &= 0xFF
        if 0x81 <= port <= 0x8F:
            self.page[port & 0xF] = value
            return
        where = self._decode(port)
        if where is None:
            return
        ctrl, reg = where
        if reg < 8:
            self._write_channel_reg(ctrl, reg, value)
        elif reg == REG_STATUS_COMMAND:
            self.command[ctrl] = value
        elif reg == REG_REQUEST:
            bit = 1 << (value & 3)
            self.request[ctrl] = (self.request[ctrl] | bit) if value & 4 else (self.request[ctrl] & ~bit)
        elif reg == REG_SINGLE_MASK:
            bit = 1 << (value & 3)
            self.mask[ctrl] = (self.mask[ctrl] | bit) if value & 4 else (self.mask[ctrl] & ~bit)
        elif reg == REG_MODE:
            self.mode[4 * ctrl + (value & 3)] = value & 0xFC
        elif reg == REG_CLEAR_FLIPFLOP:
            self.flipflop[ctrl] = 0
        elif reg == REG_MASTER_CLEAR_TEMP:
            self.master_clear(ctrl)
        elif reg == REG_CLEAR_MASK:
            self.mask[ctrl] = 0
        else:                                    # REG_ALL_MASK
            self.mask[ctrl] = value & 0xF

    def _write_channel_reg(self, ctrl: int, reg: int, value: int) -> None:
        """[8237] "Base Address and Base Word Count Registers": a write loads base and current."""
        ch = 4 * ctrl + (reg >> 1)
        high = self.flipflop[ctrl]
        self.flipflop[ctrl] ^= 1
        keep, shift = (0x00FF, 8) if high else (0xFF00, 0)
        if reg & 1:
            self.base_count[ch] = (self.base_count[ch] & keep) | value << shift
            self.cur_count[ch] = (self.cur_count[ch] & keep) | value << shift
        else:
            self.base_addr[ch] = (self.base_addr[ch] & keep) | value << shift
            self.cur_addr[ch] = (self.cur_addr[ch] & keep) | value << shift

    def _request_bits(self, ctrl: int) -> int:
        """Status bits 7-4: hardware DREQs and software requests ([8237] "Status Register").

        On controller 2, DREQ4 is controller 1's HRQ: enabled, with an unmasked
        hardware request or any software request ([8237] "Request Register": not maskable).
        """
        bits = self.request[ctrl]
        for i in range(4):
            if self.dreq[4 * ctrl + i]:
                bits |= 1 << i
        if ctrl == 1 and not self.command[0] & CMD_DISABLE:
            hw = sum(1 << i for i in range(4) if self.dreq[i])
            if (hw & ~self.mask[0]) | self.request[0]:
                bits |= 1
        return bits & 0xF

    # --- device side ----------------------------------------------------------------------
    @staticmethod
    def _check(channel: int) -> int:
        if not 0 <= channel < 8:
            raise ValueError(f"dma: no channel {channel}")
        return channel

    def set_dreq(self, channel: int, level: int | bool) -> None:
        """Drive the DREQ input of ``channel`` (shown in the status register's request bits)."""
        self.dreq[self._check(channel)] = 1 if level else 0

    def is_masked(self, channel: int) -> bool:
        """The channel's own mask bit ([8237] "Mask Register")."""
        channel = self._check(channel)
        return bool(self.mask[channel >> 2] >> (channel & 3) & 1)

    def ready(self, channel: int) -> bool:
        """Whether a request on ``channel`` would be served now.

        Needs: its controller enabled (command bit 2 clear), the channel unmasked
        and not in cascade mode; for channels 0-3 also the cascade path through
        channel 4 (controller 2 enabled, channel 4 unmasked, in cascade mode).
        """
        channel = self._check(channel)
        if not self._serviceable(channel):
            return False
        if channel < 4:
            return (not self.command[1] & CMD_DISABLE and not self.mask[1] & 1
                    and self.mode[4] & MODE_SELECT == MODE_CASCADE)
        return True

    def _serviceable(self, channel: int) -> bool:
        ctrl = channel >> 2
        return (not self.command[ctrl] & CMD_DISABLE and not self.mask[ctrl] >> (channel & 3) & 1
                and self.mode[channel] & MODE_SELECT != MODE_CASCADE)

    def transfer_type(self, channel: int) -> int:
        """Mode bits 3-2: XFER_VERIFY, XFER_WRITE (to memory), XFER_READ (from memory) or XFER_ILLEGAL."""
        return (self.mode[self._check(channel)] >> 2) & 3

    def terminal_count(self, channel: int) -> bool:
        """Whether the latest transfer call on ``channel`` ended at terminal count (EOP)."""
        return self.tc_reached[self._check(channel)]

    def channel_address(self, channel: int) -> int:
        """Physical address of the channel's next transfer (page register + current address)."""
        channel = self._check(channel)
        return self._phys_base(channel) + self.cur_addr[channel] * self._width(channel)

    def remaining(self, channel: int) -> int:
        """Bytes left before terminal count: (current count + 1) transfers of 1 or 2 bytes.

        After a terminal count without auto-initialise the counter has rolled over to
        FFFFh, so this reports 64 Ki transfers (the channel is then masked).
        """
        channel = self._check(channel)
        return (self.cur_count[channel] + 1) * self._width(channel)

    @staticmethod
    def _width(channel: int) -> int:
        return 2 if channel >= 4 else 1

    def _phys_base(self, channel: int) -> int:
        page = self.page[PAGE_INDEX[channel]]
        return (page & 0xFE) << 16 if channel >= 4 else page << 16

    def transfer_to_memory(self, channel: int, data: bytes) -> int:
        """A write transfer (device -> memory); returns the bytes accepted.

        Stops at terminal count or when the channel is not :meth:`ready`.  For
        16-bit channels only whole words are taken (an odd last byte is refused).
        """
        channel = self._check(channel)
        self.tc_reached[channel] = False
        if not self.ready(channel):
            return 0
        width = self._width(channel)
        done, _ = self._run(channel, len(data) // width, bytes(data))
        return done * width

    def transfer_from_memory(self, channel: int, max_bytes: int) -> bytes:
        """A read transfer (memory -> device) of up to ``max_bytes`` bytes (whole words if 16-bit)."""
        channel = self._check(channel)
        self.tc_reached[channel] = False
        if not self.ready(channel) or max_bytes <= 0:
            return b""
        _, out = self._run(channel, max_bytes // self._width(channel), None)
        return out

    def _run(self, channel: int, units: int, incoming: bytes | None) -> tuple[int, bytes]:
        """Move up to ``units`` transfers; [8237] "Address Generation", "Autoinitialize", "Transfer Types"."""
        width = self._width(channel)
        mode = self.mode[channel]
        ttype = (mode >> 2) & 3
        decrement = bool(mode & MODE_DECREMENT)
        count = self.cur_count[channel] + 1
        n = min(units, count)
        base = self._phys_base(channel)
        addr = self.cur_addr[channel]
        out = bytearray()
        done = 0
        while done < n:
            if decrement:                        # addresses addr, addr-1, ... down to 0, then FFFFh
                seg = min(n - done, addr + 1)
                lowest = addr - seg + 1
            else:
                seg = min(n - done, 0x10000 - addr)
                lowest = addr
            phys = base + lowest * width
            nbytes = seg * width
            if incoming is not None:
                if ttype == XFER_WRITE:
                    chunk = incoming[done * width:done * width + nbytes]
                    self._store(phys, _reverse_units(chunk, width) if decrement else chunk)
            elif ttype == XFER_READ:
                chunk = self._load(phys, nbytes)
                out += _reverse_units(chunk, width) if decrement else chunk
            else:
                out += b"\xff" * nbytes
            addr = (addr - seg if decrement else addr + seg) & 0xFFFF
            done += seg
        self.cur_addr[channel] = addr
        self.cur_count[channel] = (self.cur_count[channel] - n) & 0xFFFF
        if n and n == count:
            self._terminal_count(channel)
        return done, bytes(out)

    def _terminal_count(self, channel: int) -> None:
        """TC: status bit set, request bit cleared; reload ([8237] "Autoinitialize") or mask the channel."""
        ctrl, bit = channel >> 2, 1 << (channel & 3)
        self.tc_status[ctrl] |= bit
        self.request[ctrl] &= ~bit
        self.tc_reached[channel] = True
        if self.mode[channel] & MODE_AUTOINIT:
            self.cur_addr[channel] = self.base_addr[channel]
            self.cur_count[channel] = self.base_count[channel]
        else:
            self.mask[ctrl] |= bit

    def _store(self, phys: int, chunk: bytes) -> None:
        end = min(phys + len(chunk), len(self.ram))
        if phys < end:
            self.ram[phys:end] = np.frombuffer(chunk, np.uint8, count=end - phys)

    def _load(self, phys: int, nbytes: int) -> bytes:
        end = min(phys + nbytes, len(self.ram))
        got = self.ram[phys:end].tobytes() if phys < end else b""
        return got + b"\xff" * (nbytes - len(got))
