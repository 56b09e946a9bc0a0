"""The ISA IDE controller pair: ATA hard disks and an ATAPI CD-ROM on two legacy channels.

References: T13/1410D *AT Attachment with Packet Interface - 6* (ATA/ATAPI-6),
cited as [ATA6] with the clause name (clause 7 registers, clause 8 commands,
clause 9 protocols); SFF-8020i *ATA Packet Interface for CD-ROMs*, cited as
[ATAPI]; T10 *Multi-Media Commands* (MMC-3), cited as [MMC]; T10 *SCSI
Primary Commands* (SPC-2) for sense data, INQUIRY and REQUEST SENSE, cited as
[SPC].  The obsolete commands (INITIALIZE DEVICE PARAMETERS, RECALIBRATE,
SEEK, READ/WRITE with retries) are those of ATA-3/ATA-5.

Wiring (IBM PC AT I/O map, as every ISA IDE card decodes it): the primary
channel answers 1F0h-1F7h and the Device Control / Alternate Status register
at 3F6h, interrupting on IRQ 14; the secondary 170h-177h and 376h, IRQ 15.
Each channel (:class:`IdeChannel`, the saved device ``ide0`` / ``ide1``) has
two places, device 0 (master) and device 1 (slave), each empty or holding a
:class:`HardDisk` or a :class:`CdRom`.

Registers ([ATA6] clause 7, "Register descriptions"; offset from the base port)::

    0  Data (16 bits; a 32-bit access is two words)
    1  R: Error            W: Features
    2  Sector Count  (ATAPI: R: Interrupt Reason)
    3  LBA Low   / Sector Number
    4  LBA Mid   / Cylinder Low   (ATAPI: Byte Count low)
    5  LBA High  / Cylinder High  (ATAPI: Byte Count high)
    6  Device / Head (bit 6 LBA, bit 4 DEV)
    7  R: Status           W: Command
    ctrl R: Alternate Status  W: Device Control (bit 2 SRST, bit 1 nIEN)

Every write to registers 1-6 goes to both devices (each keeps its own copy,
[ATA6] clause 7); reads come from the device that DEV selects.  A
command written to register 7 runs on the selected device only, except
EXECUTE DEVICE DIAGNOSTIC, which both run.

Modelling choices:

* Commands take no virtual time: the device is never seen busy except while
  SRST is held.  A PIO data-in command has its first block ready (DRQ, INTRQ)
  when the command write returns; the protocols of [ATA6] clause 9 are
  otherwise followed: one interrupt per DRQ block of a data-in transfer and
  none at its end, no interrupt before the first block of a data-out
  transfer and one after each block, one at the end of a non-data command.
* INTRQ is the selected device's pending interrupt, gated by nIEN; reading
  the Status register (not Alternate Status) or writing a command clears it
  ([ATA6] "Status register", "INTRQ" signal).  On the ISA bus the line is
  edge-triggered at the 8259A, so it must fall before the next interrupt.
* Absent devices: with no device at all on a channel nothing drives the bus
  and every register reads FFh.  When only one device is present and the
  host selects the other, the Status and Alternate Status registers read 00h
  ([ATA6] clause 9, device 0 responding for an absent device 1); the others read 00h
  too (the standard leaves them to device 0; 00h makes the host's
  write/read-back presence test fail for the missing device), commands to it
  are ignored.
* Reset ([ATA6] "Power-on and hardware reset protocol", "Software reset protocol"):
  while SRST is set the devices read BSY; when it clears each posts its
  signature (Sector Count 01h, LBA Low 01h, LBA Mid/High 00h/00h for ATA,
  14h/EBh for ATAPI, Device 00h: device 0 selected), Error 01h (diagnostics
  passed), Status 50h (ATA) or 00h (ATAPI), and no interrupt.  A software
  reset keeps the multiple-mode, geometry and SET FEATURES settings; a
  hardware reset (the machine's) restores the power-on ones.
* Hard disks (:class:`HardDisk`): LBA28 and CHS addressing, the current
  geometry from INITIALIZE DEVICE PARAMETERS; an address outside the medium
  ends the command with IDNF.  A write to a read-only image is aborted
  (ABRT) before any data moves.  No DMA, no 48-bit commands, no security,
  SMART or host protected area; those opcodes are aborted.  The registers
  at the end of a transfer hold the address of the last sector moved and
  the number of sectors not moved (ATA-1 behaviour, kept by drives).
* CD-ROM (:class:`CdRom`): 2048-byte blocks, one data track; the tray can be
  opened with START STOP UNIT (the image stays attached) unless locked by
  PREVENT ALLOW MEDIUM REMOVAL; closing it reports UNIT ATTENTION 28h.  The
  byte count limit is honoured per DRQ block (odd limits are rounded down,
  0 means FFFEh; reads move whole blocks when the limit allows).  Commands
  not in ``CdRom._SCSI`` end with CHECK CONDITION, ILLEGAL REQUEST, INVALID
  COMMAND OPERATION CODE.
* The data buffer, the transfer progress and the ``-snapshot`` overlay of
  each image are part of the saved state, so a snapshot may be taken in the
  middle of a transfer.

Not modelled: DMA (words 63/88 report none), 48-bit LBA, overlapped/queued
commands, 8-bit PIO, timing, audio, writable optical media, media changes
other than the tray.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from emulator.blockdev import CD_SECTOR, SECTOR, DiskError, DiskImage

from .base import Device, IrqLine, StateError

# --- registers ([ATA6] clause 7) -------------------------------------------------------------
REG_DATA, REG_ERROR, REG_COUNT, REG_LBA_LOW, REG_LBA_MID, REG_LBA_HIGH, REG_DEVICE, REG_STATUS = range(8)
REG_FEATURES, REG_COMMAND = REG_ERROR, REG_STATUS

# Status register ([ATA6] "Status register")
BSY, DRDY, DF, DSC, DRQ, CORR, IDX, ERR = 0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01
CHK = ERR                      # packet devices: check condition
# Error register ([ATA6] "Error register")
ICRC, UNC, MC, IDNF, MCR, ABRT, NM, AMNF = 0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01
# Device register and Device Control register ([ATA6] "Device register", "Device Control register")
DEV_LBA, DEV_DEV = 0x40, 0x10
CTL_HOB, CTL_SRST, CTL_NIEN = 0x80, 0x04, 0x02
# Interrupt Reason (the Sector Count register of a packet device, [ATA6] "PACKET")
IR_COD, IR_IO, IR_REL = 0x01, 0x02, 0x04

#: diagnostic code in the Error register: device passed ([ATA6] "EXECUTE DEVICE DIAGNOSTIC")
DIAG_PASSED = 0x01
#: the signatures in LBA Mid / LBA High ([ATA6] "Signature and persistence")
ATA_SIGNATURE = (0x00, 0x00)
ATAPI_SIGNATURE = (0x14, 0xEB)

# --- commands ([ATA6] clause 8; the obsolete ones from ATA-3/ATA-5) ------------------------------------
CMD_NOP = 0x00
CMD_DEVICE_RESET = 0x08
CMD_RECALIBRATE = 0x10              # 10h-1Fh
CMD_READ_SECTORS, CMD_READ_SECTORS_NR = 0x20, 0x21
CMD_WRITE_SECTORS, CMD_WRITE_SECTORS_NR = 0x30, 0x31
CMD_READ_VERIFY, CMD_READ_VERIFY_NR = 0x40, 0x41
CMD_SEEK = 0x70                     # 70h-7Fh
CMD_EXECUTE_DIAGNOSTIC = 0x90
CMD_INITIALIZE_PARAMETERS = 0x91
CMD_PACKET = 0xA0
CMD_IDENTIFY_PACKET = 0xA1
CMD_READ_MULTIPLE, CMD_WRITE_MULTIPLE, CMD_SET_MULTIPLE = 0xC4, 0xC5, 0xC6
CMD_STANDBY_IMMEDIATE, CMD_IDLE_IMMEDIATE, CMD_STANDBY, CMD_IDLE = 0xE0, 0xE1, 0xE2, 0xE3
CMD_CHECK_POWER_MODE, CMD_SLEEP = 0xE5, 0xE6
CMD_FLUSH_CACHE = 0xE7
CMD_IDENTIFY = 0xEC
CMD_SET_FEATURES = 0xEF
#: the ATA-1 power commands 94h-99h, same meaning as E0h-E3h, E5h, E6h
OLD_POWER_COMMANDS = {0x94: CMD_STANDBY_IMMEDIATE, 0x95: CMD_IDLE_IMMEDIATE, 0x96: CMD_STANDBY,
                      0x97: CMD_IDLE, 0x98: CMD_CHECK_POWER_MODE, 0x99: CMD_SLEEP}

# CHECK POWER MODE results in Sector Count ([ATA6] "CHECK POWER MODE")
POWER_STANDBY, POWER_IDLE, POWER_ACTIVE = 0x00, 0x80, 0xFF
POWER_SLEEP = -1

#: sectors per block of READ/WRITE MULTIPLE at most (IDENTIFY word 47)
MAX_MULTIPLE = 16
#: the largest CHS capacity ([ATA6] "IDENTIFY DEVICE", words 1/3/6: 16383 x 16 x 63)
CHS_LIMIT = 16383 * 16 * 63

# --- SCSI / MMC ([SPC], [MMC]) -------------------------------------------------------------------
SCSI_TEST_UNIT_READY = 0x00
SCSI_REQUEST_SENSE = 0x03
SCSI_INQUIRY = 0x12
SCSI_START_STOP_UNIT = 0x1B
SCSI_PREVENT_ALLOW = 0x1E
SCSI_READ_CAPACITY = 0x25
SCSI_READ_10 = 0x28
SCSI_SEEK_10 = 0x2B
SCSI_READ_TOC = 0x43
SCSI_GET_CONFIGURATION = 0x46
SCSI_GET_EVENT_STATUS = 0x4A
SCSI_MODE_SENSE_10 = 0x5A
SCSI_READ_12 = 0xA8

# sense keys and (ASC, ASCQ) pairs ([SPC] "Sense key descriptions", "ASC and ASCQ assignments")
SENSE_NONE, SENSE_NOT_READY, SENSE_MEDIUM_ERROR = 0x0, 0x2, 0x3
SENSE_ILLEGAL_REQUEST, SENSE_UNIT_ATTENTION = 0x5, 0x6
ASC_INVALID_OPCODE = (0x20, 0x00)
ASC_LBA_OUT_OF_RANGE = (0x21, 0x00)
ASC_INVALID_FIELD = (0x24, 0x00)
ASC_MEDIUM_MAY_HAVE_CHANGED = (0x28, 0x00)
ASC_SAVING_NOT_SUPPORTED = (0x39, 0x00)
ASC_MEDIUM_NOT_PRESENT_TRAY_OPEN = (0x3A, 0x02)
ASC_REMOVAL_PREVENTED = (0x53, 0x02)
ASC_UNRECOVERED_READ_ERROR = (0x11, 0x00)

PROFILE_CD_ROM = 0x0008          # [MMC] "Profile list": CD-ROM
LEAD_OUT = 0xAA                  # [MMC] READ TOC: track number of the lead-out
#: commands a pending UNIT ATTENTION does not stop ([SPC] INQUIRY, REQUEST SENSE; [MMC] GESN, GET CONF.)
NO_UNIT_ATTENTION = (SCSI_INQUIRY, SCSI_REQUEST_SENSE, SCSI_GET_EVENT_STATUS, SCSI_GET_CONFIGURATION)


def ata_string(text: str, length: int) -> bytes:
    """An IDENTIFY string field: ASCII padded with spaces, the two bytes of each word swapped
    ([ATA6] "IDENTIFY DEVICE", words 10-19/23-26/27-46: the first character in bits 15-8)."""
    raw = text.encode("ascii")[:length].ljust(length, b" ")
    return bytes(raw[i ^ 1] for i in range(length))


def identify_block(words: dict[int, int | bytes]) -> bytes:
    """A 256-word IDENTIFY block from ``{word: value or swapped string bytes}``, with the
    integrity word 255 (A5h and the checksum making the 512 bytes sum to 0 mod 256)."""
    data = bytearray(512)
    for index, value in words.items():
        if isinstance(value, bytes):
            data[2 * index : 2 * index + len(value)] = value
        else:
            data[2 * index : 2 * index + 2] = (value & 0xFFFF).to_bytes(2, "little")
    data[510] = 0xA5
    data[511] = -sum(data[:511]) & 0xFF
    return bytes(data)


def msf(lba: int) -> bytes:
    """[MMC] "MSF address format": LBA 0 is 00:02:00 (150 frames of pregap), as 0, M, S, F."""
    frames = lba + 150
    return bytes((0, frames // (75 * 60) & 0xFF, frames // 75 % 60, frames % 75))


# =====================================================================================================
class AtaDevice:
    """What every device on the cable has: its task file, pending interrupt and PIO buffer."""

    KIND: ClassVar[str] = "device"
    #: attribute names saved in snapshots (through :meth:`IdeChannel.save_state`)
    SAVED: ClassVar[tuple[str, ...]] = (
        "features", "count", "lba_low", "lba_mid", "lba_high", "device", "status", "error",
        "intrq", "buf", "pos", "power", "pio_mode", "write_cache", "look_ahead", "revert_defaults")
    #: Status after a reset or a completed command
    READY: ClassVar[int] = DRDY | DSC

    def __init__(self, image: DiskImage, serial: str, model: str, firmware: str = "1.0") -> None:
        self.image = image
        self.serial = serial
        self.model = model
        self.firmware = firmware
        self.unit = 0                       # 0 master, 1 slave (set by the channel)
        #: where "not implemented" notes go (``-d unimp``); set by the channel, each opcode once
        self.log: Callable[[str], None] | None = None
        self._logged: set[str] = set()
        self.power_on()

    # --- state ---------------------------------------------------------------------------------
    def power_on(self) -> None:
        """Power-on / hardware reset defaults, then the reset signature ([ATA6] "Power-on and
        hardware reset protocol")."""
        self.features = 0
        self.power = POWER_ACTIVE
        self.pio_mode = 0
        self.write_cache = True
        self.look_ahead = True
        self.revert_defaults = False
        self.intrq = False
        self.buf = bytearray()
        self.pos = 0
        self.post_signature()

    def post_signature(self) -> None:
        """The registers after a reset or diagnostics: signature, Error 01h ([ATA6] "Signature and
        persistence")."""
        self.count = 1
        self.lba_low = 1
        self.lba_mid, self.lba_high = self.signature()
        self.device = 0
        self.error = DIAG_PASSED
        self.status = self.READY if self.KIND == "ata" else 0
        self.buf = bytearray()
        self.pos = 0
        self.end_transfer()

    def signature(self) -> tuple[int, int]:
        return ATA_SIGNATURE

    def end_transfer(self) -> None:
        """Forget any transfer in progress (subclasses clear their own progress fields)."""

    def get_state(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in self.SAVED}
        state["buf"] = bytes(self.buf)
        state["overlay"] = {str(lba): data for lba, data in self.image.overlay.items()}
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        names = set(self.SAVED) | {"overlay"}
        if set(state) != names:
            raise StateError(f"IDE {self.KIND} device: saved fields differ ({sorted(set(state) ^ names)})")
        for name in self.SAVED:
            setattr(self, name, state[name])
        self.buf = bytearray(self.buf)
        self.image.overlay = {int(lba): bytes(data) for lba, data in state["overlay"].items()}

    # --- task file helpers -----------------------------------------------------------------------
    def done(self, status_extra: int = 0, error: int = 0, interrupt: bool = True) -> None:
        """End a command: no DRQ, ERR with ``error`` when it is not 0, INTRQ."""
        self.buf = bytearray()
        self.pos = 0
        self.end_transfer()
        self.error = error
        self.status = self.READY | status_extra | (ERR if error else 0)
        if interrupt:
            self.intrq = True

    def abort(self) -> None:
        """Command aborted: ERR with ABRT ([ATA6] "Error register")."""
        self.done(error=ABRT)

    def unimplemented(self, what: str) -> None:
        """Note, once, that the guest used something this model does not implement."""
        if self.log is not None and what not in self._logged:
            self._logged.add(what)
            self.log(f"IDE {'slave' if self.unit else 'master'} {self.KIND}: {what} not implemented")

    def data_in(self, block: bytes) -> None:
        """Offer ``block`` to the host (DRQ) and interrupt ([ATA6] "PIO data-in command protocol")."""
        self.buf = bytearray(block)
        self.pos = 0
        self.error = 0
        self.status = self.READY | DRQ
        self.intrq = True

    def read_word(self) -> int:
        """The next data word (the host's 16-bit read of the Data register)."""
        if not self.status & DRQ:
            return 0xFFFF
        pos = self.pos
        buf = self.buf
        word = buf[pos] | (buf[pos + 1] << 8 if pos + 1 < len(buf) else 0) if pos < len(buf) else 0
        self.pos = pos + 2
        if self.pos >= len(buf):
            self.block_read()
        return word

    def write_word(self, word: int) -> None:
        """A 16-bit write of the Data register; ignored unless the device wants data (DRQ)."""
        if not self.status & DRQ or not self.wants_data():
            return
        pos = self.pos
        if pos < len(self.buf):
            self.buf[pos] = word & 0xFF
            if pos + 1 < len(self.buf):
                self.buf[pos + 1] = word >> 8
        self.pos = pos + 2
        if self.pos >= len(self.buf):
            self.block_written()

    def wants_data(self) -> bool:
        """Whether the DRQ block goes from the host to the device (data-out, command packet)."""
        return False

    def block_read(self) -> None:
        """The host has read the whole DRQ block."""
        self.done(interrupt=False)

    def block_written(self) -> None:
        """The host has written the whole DRQ block."""
        self.done()

    # --- commands common to both kinds ------------------------------------------------------------
    def command(self, cmd: int) -> None:
        """Run command ``cmd`` written to the Command register (the device is selected)."""
        raise NotImplementedError

    def power_command(self, cmd: int) -> bool:
        """The power management commands ([ATA6] "CHECK POWER MODE", "IDLE", "STANDBY", "SLEEP")."""
        cmd = OLD_POWER_COMMANDS.get(cmd, cmd)
        if cmd in (CMD_STANDBY_IMMEDIATE, CMD_STANDBY):
            self.power = POWER_STANDBY
        elif cmd in (CMD_IDLE_IMMEDIATE, CMD_IDLE):
            self.power = POWER_IDLE
        elif cmd == CMD_SLEEP:
            self.power = POWER_SLEEP
        elif cmd == CMD_CHECK_POWER_MODE:
            self.done()
            self.count = POWER_STANDBY if self.power == POWER_STANDBY else \
                POWER_IDLE if self.power == POWER_IDLE else POWER_ACTIVE
            return True
        else:
            return False
        self.done()
        return True

    def set_features(self) -> None:
        """[ATA6] "SET FEATURES": transfer mode (PIO only), write cache, look-ahead, revert."""
        sub = self.features
        if sub == 0x03:                               # set transfer mode (Sector Count)
            mode = self.count
            if mode in (0x00, 0x01):
                self.pio_mode = 0                     # PIO default mode (01h: IORDY off)
            elif 0x08 <= mode <= 0x0C:
                self.pio_mode = mode & 0x07           # PIO flow control modes 0-4
            else:
                self.abort()                          # no multiword or Ultra DMA
                return
        elif sub in (0x02, 0x82):
            self.write_cache = sub == 0x02
        elif sub in (0xAA, 0x55):
            self.look_ahead = sub == 0xAA
        elif sub in (0xCC, 0x66):
            self.revert_defaults = sub == 0xCC
        else:
            self.abort()
            return
        self.done()

    def identify_common(self) -> dict[int, int | bytes]:
        """The words both IDENTIFY blocks share."""
        return {
            10: ata_string(self.serial, 20),
            23: ata_string(self.firmware, 8),
            27: ata_string(self.model, 40),
            49: 0x0A00,                               # IORDY supported, LBA supported (no DMA)
            50: 0x4000,
            51: 0x0200,                               # PIO mode 2 (obsolete timing word)
            53: 0x0002,                               # words 64-70 valid
            64: 0x0003,                               # PIO modes 3 and 4
            67: 120,                                  # minimum PIO cycle time, no flow control (ns)
            68: 120,                                  # ... with IORDY
            80: 0x007E,                               # ATA-1 to ATA/ATAPI-6
            84: 0x4000,
            87: 0x4000,
            93: 0x400B if self.unit == 0 else 0x4B00,  # reset results: jumper, diagnostics passed
        }


# =====================================================================================================
class HardDisk(AtaDevice):
    """An ATA hard disk on a raw image ([ATA6] General feature set, Power management, CHS/LBA28)."""

    KIND = "ata"
    SAVED = AtaDevice.SAVED + ("multiple", "cur_heads", "cur_spt", "xfer", "xfer_lba", "remaining",
                               "block")

    def __init__(self, image: DiskImage, serial: str = "PYX86HD0", model: str = "PYX86 HARDDISK") -> None:
        if image.sector_size != SECTOR:
            raise DiskError(f"disk image {image.path}: hard disks have {SECTOR}-byte sectors")
        self.sectors = image.sectors
        self.default_heads, self.default_spt = self._default_geometry(image)
        super().__init__(image, serial, model)

    @staticmethod
    def _default_geometry(image: DiskImage) -> tuple[int, int]:
        """Heads and sectors per track: the image's geometry when it fits ATA's limits (at most
        16 heads, 63 sectors), else 16 and 63 ([ATA6] "IDENTIFY DEVICE", words 3 and 6)."""
        g = image.hard_disk_geometry()
        if g.heads <= 16 and g.sectors <= 63:
            return g.heads, g.sectors
        return 16, 63

    @property
    def default_cylinders(self) -> int:
        """IDENTIFY word 1: the cylinders of the default geometry (at most 16383)."""
        return max(1, min(16383, min(self.sectors, CHS_LIMIT) // (self.default_heads * self.default_spt)))

    @property
    def cur_cylinders(self) -> int:
        """IDENTIFY word 54: cylinders of the current (INITIALIZE DEVICE PARAMETERS) geometry."""
        return min(65535, min(self.sectors, CHS_LIMIT) // (self.cur_heads * self.cur_spt))

    def power_on(self) -> None:
        self.multiple = 0
        self.cur_heads, self.cur_spt = self.default_heads, self.default_spt
        super().power_on()

    def end_transfer(self) -> None:
        self.xfer = ""                   # "read" / "write" / "identify" while DRQ blocks move
        self.xfer_lba = 0                # LBA of the first sector of the current block
        self.remaining = 0               # sectors of the command not yet moved (this block included)
        self.block = 1                   # sectors per DRQ block

    # --- addressing ([ATA6] LBA Low/Mid/High and Device registers; CHS as in ATA-5) ------------
    def address(self) -> int | None:
        """The LBA the task file names (LBA28 or CHS with the current geometry); None if invalid."""
        if self.device & DEV_LBA:
            return (self.device & 0x0F) << 24 | self.lba_high << 16 | self.lba_mid << 8 | self.lba_low
        cyl, head, sector = self.lba_mid | self.lba_high << 8, self.device & 0x0F, self.lba_low
        if not 1 <= sector <= self.cur_spt or head >= self.cur_heads or cyl >= self.cur_cylinders:
            return None
        return (cyl * self.cur_heads + head) * self.cur_spt + sector - 1

    def set_address(self, lba: int) -> None:
        """Put ``lba`` in the task file in the addressing mode of the command."""
        if self.device & DEV_LBA:
            self.lba_low, self.lba_mid, self.lba_high = lba & 0xFF, lba >> 8 & 0xFF, lba >> 16 & 0xFF
            self.device = (self.device & 0xF0) | (lba >> 24 & 0x0F)
            return
        track, sector = divmod(lba, self.cur_spt)
        cyl, head = divmod(track, self.cur_heads)
        self.lba_low, self.lba_mid, self.lba_high = sector + 1, cyl & 0xFF, cyl >> 8 & 0xFF
        self.device = (self.device & 0xF0) | (head & 0x0F)

    def fail_at(self, lba: int, error: int) -> None:
        """End with ``error``; the task file names the failing sector ([ATA6] "Error outputs")."""
        if 0 <= lba:
            self.set_address(min(lba, 0x0FFFFFFF))
        self.done(error=error)

    # --- commands --------------------------------------------------------------------------------
    def command(self, cmd: int) -> None:
        if self.power == POWER_SLEEP:
            self.abort()                    # only a reset wakes a sleeping device ([ATA6] "SLEEP")
            return
        if cmd in (CMD_READ_SECTORS, CMD_READ_SECTORS_NR):
            self.start_transfer("read", 1)
        elif cmd == CMD_READ_MULTIPLE:
            self.start_transfer("read", self.multiple)
        elif cmd in (CMD_WRITE_SECTORS, CMD_WRITE_SECTORS_NR):
            self.start_transfer("write", 1)
        elif cmd == CMD_WRITE_MULTIPLE:
            self.start_transfer("write", self.multiple)
        elif cmd in (CMD_READ_VERIFY, CMD_READ_VERIFY_NR):
            self.read_verify()
        elif cmd == CMD_SET_MULTIPLE:
            self.set_multiple()
        elif cmd == CMD_INITIALIZE_PARAMETERS:
            self.initialize_parameters()
        elif cmd == CMD_IDENTIFY:
            self.xfer = "identify"
            self.data_in(self.identify())
        elif cmd == CMD_SET_FEATURES:
            self.set_features()
        elif cmd == CMD_FLUSH_CACHE:
            self.image.flush()
            self.done()
        elif cmd & 0xF0 == CMD_RECALIBRATE:
            self.lba_mid = self.lba_high = 0        # heads to cylinder 0 (ATA-3 "RECALIBRATE")
            self.done()
        elif cmd & 0xF0 == CMD_SEEK:
            lba = self.address()
            if lba is None or lba >= self.sectors:
                self.done(error=IDNF)
            else:
                self.done()
        elif not self.power_command(cmd):
            if cmd not in (CMD_NOP, CMD_PACKET, CMD_IDENTIFY_PACKET, CMD_DEVICE_RESET):
                self.unimplemented(f"ATA command {cmd:02X}h")
            self.abort()                            # NOP, PACKET, IDENTIFY PACKET, DEVICE RESET, ...

    def sector_count(self) -> int:
        """Sector Count as a count: 0 means 256 ([ATA6] "READ SECTOR(S)")."""
        return self.count or 256

    def start_transfer(self, kind: str, block: int) -> None:
        """READ/WRITE SECTOR(S) and MULTIPLE: check, then the first DRQ block ([ATA6] "PIO data-in
        command protocol", "PIO data-out command protocol")."""
        if block == 0:                              # READ/WRITE MULTIPLE before SET MULTIPLE MODE
            self.abort()
            return
        lba = self.address()
        if lba is None:
            self.done(error=IDNF)
            return
        if kind == "write" and self.image.read_only:
            self.abort()                             # write-protected image: no data moves
            return
        self.power = POWER_ACTIVE
        self.xfer, self.xfer_lba, self.remaining, self.block = kind, lba, self.sector_count(), block
        self.next_block(first=True)

    def next_block(self, first: bool = False) -> None:
        """Set up the DRQ block at ``xfer_lba``: data to read, or room for data to write."""
        n = min(self.block, self.remaining)
        lba = self.xfer_lba
        if lba + n > self.sectors:
            self.fail_at(max(lba, self.sectors), IDNF)
            return
        if self.xfer == "read":
            try:
                data = self.image.read(lba, n)
            except DiskError:
                self.fail_at(lba, UNC)
                return
            self.data_in(data)
        else:
            self.buf = bytearray(n * SECTOR)
            self.pos = 0
            self.error = 0
            self.status = self.READY | DRQ
            self.intrq = not first                  # no interrupt before the first data-out block

    def wants_data(self) -> bool:
        return self.xfer == "write"

    def block_read(self) -> None:
        if self.xfer != "read":
            self.done(interrupt=False)               # IDENTIFY: one block, no interrupt at the end
            return
        self.advance(len(self.buf) // SECTOR)
        if self.remaining:
            self.next_block()
        else:
            self.done(interrupt=False)
            self.count = 0

    def block_written(self) -> None:
        n = len(self.buf) // SECTOR
        try:
            self.image.write(self.xfer_lba, bytes(self.buf))
        except DiskError:                            # WriteProtected included
            self.fail_at(self.xfer_lba, ABRT)
            return
        self.advance(n)
        if self.remaining:
            self.next_block()
        else:
            self.done()
            self.count = 0

    def advance(self, n: int) -> None:
        """``n`` sectors moved: the registers name the last one and count the rest."""
        self.set_address(self.xfer_lba + n - 1)
        self.xfer_lba += n
        self.remaining -= n
        self.count = self.remaining & 0xFF

    def read_verify(self) -> None:
        """[ATA6] "READ VERIFY SECTOR(S)": like a read, but nothing is transferred."""
        lba = self.address()
        if lba is None:
            self.done(error=IDNF)
            return
        end = lba + self.sector_count()
        self.power = POWER_ACTIVE
        if end > self.sectors:
            self.fail_at(max(lba, self.sectors), IDNF)
            return
        self.set_address(end - 1)
        self.done()
        self.count = 0

    def set_multiple(self) -> None:
        """[ATA6] "SET MULTIPLE MODE": a power of two up to word 47's limit; 0 disables."""
        n = self.count
        if n and (n > MAX_MULTIPLE or n & (n - 1)):
            self.abort()
            return
        self.multiple = n
        self.done()

    def initialize_parameters(self) -> None:
        """ATA-5 "INITIALIZE DEVICE PARAMETERS": Sector Count = sectors per track, Device bits 3-0
        = heads - 1; the current geometry of CHS commands and IDENTIFY words 54-58."""
        if self.count == 0:
            self.abort()
            return
        self.cur_heads, self.cur_spt = (self.device & 0x0F) + 1, self.count
        self.done()

    def identify(self) -> bytes:
        """The IDENTIFY DEVICE block ([ATA6] "IDENTIFY DEVICE")."""
        words = self.identify_common()
        cur_cyl = self.cur_cylinders
        cur_capacity = cur_cyl * self.cur_heads * self.cur_spt
        lba28 = min(self.sectors, 0x0FFFFFFF)
        words.update({
            0: 0x0040,                                # ATA device, fixed (not removable)
            1: self.default_cylinders,
            3: self.default_heads,
            6: self.default_spt,
            47: 0x8000 | MAX_MULTIPLE,
            53: 0x0003,                               # words 54-58 and 64-70 valid
            54: cur_cyl,
            55: self.cur_heads,
            56: self.cur_spt,
            57: cur_capacity & 0xFFFF,
            58: cur_capacity >> 16,
            59: 0x0100 | self.multiple if self.multiple else 0,
            60: lba28 & 0xFFFF,
            61: lba28 >> 16,
            82: 0x4068,                               # NOP, look-ahead, write cache, power management
            83: 0x5000,                               # FLUSH CACHE
            85: 0x4008 | (0x40 if self.look_ahead else 0) | (0x20 if self.write_cache else 0),
            86: 0x1000,
        })
        return identify_block(words)


# =====================================================================================================
class CdRom(AtaDevice):
    """An ATAPI CD-ROM drive with a read-only ISO 9660 image ([ATA6] PACKET feature set, [MMC])."""

    KIND = "atapi"
    READY = DRDY
    SAVED = AtaDevice.SAVED + ("phase", "byte_limit", "reply", "read_lba", "xfer_total", "xfer_done",
                               "sense_key", "asc", "ascq", "locked", "tray_open", "unit_attention",
                               "media_event")

    def __init__(self, image: DiskImage, serial: str = "PYX86CD0", model: str = "PYX86 CD-ROM") -> None:
        if image.sector_size != CD_SECTOR:
            raise DiskError(f"CD image {image.path}: CD-ROMs have {CD_SECTOR}-byte sectors")
        self.sectors = image.sectors
        super().__init__(image, serial, model)

    def power_on(self) -> None:
        self.sense_key, self.asc, self.ascq = SENSE_NONE, 0, 0
        self.locked = False
        self.tray_open = False
        self.unit_attention = False
        self.media_event = 0
        super().power_on()

    def signature(self) -> tuple[int, int]:
        return ATAPI_SIGNATURE

    def end_transfer(self) -> None:
        self.phase = ""                  # "identify", "packet" (receiving the CDB), "data" (data-in)
        self.byte_limit = 0
        self.reply = b""                 # the whole response of a non-read command
        self.read_lba = -1               # READ(10)/(12): first block, the data comes from the image
        self.xfer_total = 0              # bytes of the data-in phase
        self.xfer_done = 0               # ... already offered in earlier DRQ blocks

    # --- ATA commands ------------------------------------------------------------------------------
    def command(self, cmd: int) -> None:
        if cmd == CMD_DEVICE_RESET:
            self.post_signature()           # [ATA6] "DEVICE RESET command protocol": no INTRQ
            self.power = POWER_ACTIVE
            return
        if self.power == POWER_SLEEP:
            self.abort()
            return
        if cmd == CMD_PACKET:
            self.packet()
        elif cmd == CMD_IDENTIFY_PACKET:
            self.phase = "identify"
            self.data_in(self.identify())
        elif cmd == CMD_SET_FEATURES:
            self.set_features()
        elif cmd in (CMD_IDENTIFY, CMD_READ_SECTORS, CMD_READ_SECTORS_NR):
            # [ATA6] "IDENTIFY DEVICE" / "READ SECTOR(S)": a packet device aborts and shows its signature
            self.abort()
            self.count, self.lba_low = 1, 1
            self.lba_mid, self.lba_high = ATAPI_SIGNATURE
        elif cmd in (CMD_CHECK_POWER_MODE, 0x98, CMD_IDLE_IMMEDIATE, 0x95, CMD_STANDBY_IMMEDIATE, 0x94,
                     CMD_SLEEP, 0x99):
            self.power_command(cmd)
        else:
            if cmd != CMD_NOP:
                self.unimplemented(f"ATA command {cmd:02X}h")
            self.abort()

    def identify(self) -> bytes:
        """The IDENTIFY PACKET DEVICE block ([ATA6] "IDENTIFY PACKET DEVICE")."""
        words = self.identify_common()
        words.update({
            0: 0x85C0,          # ATAPI; CD-ROM (05h); removable; DRQ within 50 us; 12-byte packets
            82: 0x4218,         # NOP, DEVICE RESET, PACKET, power management
            83: 0x4000,
            85: 0x4218,
            86: 0x0000,
        })
        return identify_block(words)

    def packet(self) -> None:
        """[ATA6] "PACKET", "PACKET command protocol": DRQ for the 12 command bytes."""
        if self.features & 0x01:                    # DMA data transfer: not supported
            self.abort()
            return
        self.byte_limit = self.lba_mid | self.lba_high << 8
        self.phase = "packet"
        self.buf = bytearray(12)
        self.pos = 0
        self.error = 0
        self.count = IR_COD                          # command packet, host to device
        self.status = (self.status & DRDY) | DRQ

    def wants_data(self) -> bool:
        return self.phase == "packet"

    def block_written(self) -> None:
        if self.phase != "packet":
            self.done()
            return
        cdb = bytes(self.buf)
        self.buf = bytearray()
        self.phase = "data"
        self.power = POWER_ACTIVE
        self.scsi(cdb)

    def block_read(self) -> None:
        if self.phase != "data":
            self.done(interrupt=False)               # IDENTIFY PACKET DEVICE: one block, no INTRQ after
            return
        self.xfer_done += len(self.buf)
        self.next_block()

    # --- the packet data phase ([ATA6] "PACKET command protocol") ------------------------------
    def send(self, data: bytes, allocation: int) -> None:
        """Good status after ``data`` (cut to the allocation length) goes to the host."""
        self.reply = bytes(data[:allocation])
        self.read_lba = -1
        self.xfer_total, self.xfer_done = len(self.reply), 0
        self.next_block()

    def send_blocks(self, lba: int, count: int) -> None:
        """Good status after ``count`` 2048-byte blocks from ``lba`` go to the host."""
        self.reply = b""
        self.read_lba = lba
        self.xfer_total, self.xfer_done = count * CD_SECTOR, 0
        self.next_block()

    def next_block(self) -> None:
        """The next DRQ block of the data-in phase, or the status phase when all went."""
        left = self.xfer_total - self.xfer_done
        if left <= 0:
            self.complete()
            return
        limit = self.byte_limit or 0xFFFE
        n = min(left, limit)
        if n < left:
            if self.read_lba >= 0 and limit >= CD_SECTOR:
                n = limit - limit % CD_SECTOR           # whole blocks per DRQ when they fit
            n = max(2, n & ~1)                           # every block but the last is even
        start = self.xfer_done
        if self.read_lba >= 0:
            first, last = start // CD_SECTOR, (start + n - 1) // CD_SECTOR
            try:
                data = self.image.read(self.read_lba + first, last - first + 1)
            except DiskError:
                self.check_condition(SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR)
                return
            off = start - first * CD_SECTOR
            block = data[off : off + n]
        else:
            block = self.reply[start : start + n]
        self.buf = bytearray(block)
        self.pos = 0
        self.lba_mid, self.lba_high = n & 0xFF, n >> 8 & 0xFF     # byte count of this block
        self.count = IR_IO                                         # data, device to host
        self.error = 0
        self.status = DRDY | DRQ
        self.intrq = True

    def complete(self) -> None:
        """Status phase, GOOD: Interrupt Reason I/O and C/D, DRDY, INTRQ ([ATA6] "PACKET command
        protocol")."""
        self.done()
        self.count = IR_IO | IR_COD

    def check_condition(self, key: int, asc: tuple[int, int]) -> None:
        """Status phase, CHECK CONDITION: CHK, the sense key in Error bits 7-4 ([ATA6] "PACKET",
        Error outputs; ABRT for an ILLEGAL REQUEST), the sense data kept for REQUEST SENSE."""
        self.sense_key, (self.asc, self.ascq) = key, asc
        self.done(error=key << 4 | (ABRT if key == SENSE_ILLEGAL_REQUEST else 0))
        self.count = IR_IO | IR_COD

    # --- SCSI / MMC commands -----------------------------------------------------------------------
    def scsi(self, cdb: bytes) -> None:
        """Run one command packet ([MMC], [SPC]); CHECK CONDITION for the unsupported ones."""
        op = cdb[0]
        if op != SCSI_REQUEST_SENSE:
            self.sense_key, self.asc, self.ascq = SENSE_NONE, 0, 0
        if self.unit_attention and op not in NO_UNIT_ATTENTION:
            self.unit_attention = False
            self.check_condition(SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED)
            return
        handler = self._SCSI.get(op)
        if handler is None:
            self.unimplemented(f"packet command {op:02X}h")
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE)
            return
        handler(self, cdb)

    def medium_ready(self) -> bool:
        """CHECK CONDITION NOT READY, MEDIUM NOT PRESENT - TRAY OPEN when the tray is out."""
        if self.tray_open:
            self.check_condition(SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT_TRAY_OPEN)
            return False
        return True

    def test_unit_ready(self, cdb: bytes) -> None:
        """[SPC] TEST UNIT READY."""
        if self.medium_ready():
            self.complete()

    def request_sense(self, cdb: bytes) -> None:
        """[SPC] REQUEST SENSE: fixed-format sense data (70h), then the sense is cleared."""
        if self.unit_attention:
            self.unit_attention = False
            self.sense_key, (self.asc, self.ascq) = SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED
        sense = bytearray(18)
        sense[0] = 0x70
        sense[2] = self.sense_key
        sense[7] = 10                                  # additional sense length
        sense[12], sense[13] = self.asc, self.ascq
        self.sense_key, self.asc, self.ascq = SENSE_NONE, 0, 0
        self.send(bytes(sense), cdb[4])

    def inquiry(self, cdb: bytes) -> None:
        """[SPC] INQUIRY, standard data ([ATAPI] "INQUIRY": version 0, response format 1, ATAPI 2)."""
        if cdb[1] & 0x01 or cdb[2]:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD)   # no vital product data
            return
        data = (bytes((0x05, 0x80, 0x00, 0x21, 31, 0, 0, 0)) + b"PYX86   "
                + self.model.encode("ascii")[:16].ljust(16) + self.firmware.encode("ascii")[:4].ljust(4))
        self.send(data, cdb[3] << 8 | cdb[4])

    def read_capacity(self, cdb: bytes) -> None:
        """[MMC] READ CAPACITY: the last block address and the block length (2048)."""
        if self.medium_ready():
            self.send((self.sectors - 1).to_bytes(4, "big") + CD_SECTOR.to_bytes(4, "big"), 8)

    def read(self, cdb: bytes) -> None:
        """[MMC] READ (10) / READ (12): 2048-byte blocks from the image."""
        lba = int.from_bytes(cdb[2:6], "big")
        count = int.from_bytes(cdb[7:9] if cdb[0] == SCSI_READ_10 else cdb[6:10], "big")
        if not self.medium_ready():
            return
        if lba + count > self.sectors:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE)
            return
        self.send_blocks(lba, count)

    def seek(self, cdb: bytes) -> None:
        """[MMC] SEEK (10): only checks the address."""
        if not self.medium_ready():
            return
        if int.from_bytes(cdb[2:6], "big") >= self.sectors:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE)
            return
        self.complete()

    def mode_sense(self, cdb: bytes) -> None:
        """[MMC] MODE SENSE (10): pages 01h (read error recovery), 0Dh (CD device parameters),
        2Ah (capabilities and mechanical status), 3Fh (all); no block descriptors."""
        control, code = cdb[2] >> 6, cdb[2] & 0x3F
        if control == 3:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED)
            return
        pages = {0x01: self._page_error_recovery(), 0x0D: bytes((0x0D, 0x06, 0, 0, 0, 60, 0, 75)),
                 0x2A: self._page_capabilities()}
        if code == 0x3F:
            body = b"".join(pages.values())
        elif code in pages:
            body = pages[code]
        else:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD)
            return
        if control == 1:                               # changeable values: none
            out = bytearray()
            i = 0
            while i < len(body):
                out += body[i : i + 2] + bytes(body[i + 1])
                i += 2 + body[i + 1]
            body = bytes(out)
        medium = 0x71 if self.tray_open else 0x01      # [ATAPI] medium type: door open / 120 mm data CD
        header = (len(body) + 6).to_bytes(2, "big") + bytes((medium, 0, 0, 0, 0, 0))
        self.send(header + body, int.from_bytes(cdb[7:9], "big"))

    @staticmethod
    def _page_error_recovery() -> bytes:
        return bytes((0x01, 0x06, 0x00, 0x05, 0, 0, 0, 0))    # read retry count 5

    def _page_capabilities(self) -> bytes:
        """[MMC] "CD/DVD Capabilities and Mechanical Status Page" (2Ah), the 20-byte MMC-2 form."""
        page = bytearray(20)
        page[0], page[1] = 0x2A, 0x12
        page[2] = 0x00                                 # reads CD-ROM only (no CD-R/RW, DVD)
        page[4] = 0x00                                 # no audio play, no multi-session claim
        page[6] = 0x29 | (0x02 if self.locked else 0)  # tray loader, eject, lock (+ lock state)
        page[8:10] = (706).to_bytes(2, "big")          # maximum read speed, kB/s (4x)
        page[10:12] = (256).to_bytes(2, "big")         # volume levels
        page[12:14] = (64).to_bytes(2, "big")          # buffer size, KiB
        page[14:16] = (706).to_bytes(2, "big")         # current read speed
        return bytes(page)

    def read_toc(self, cdb: bytes) -> None:
        """[MMC] READ TOC/PMA/ATIP formats 0 (TOC) and 1 (session info); one data track.

        The format comes from byte 2 bits 3-0, or from byte 9 bits 7-6 when those are 0
        (the older SFF-8020i place)."""
        if not self.medium_ready():
            return
        use_msf = bool(cdb[1] & 0x02)
        fmt = cdb[2] & 0x0F or cdb[9] >> 6
        track = cdb[6]

        def addr(lba: int) -> bytes:
            return msf(lba) if use_msf else lba.to_bytes(4, "big")

        if fmt == 0:
            if track > 1 and track != LEAD_OUT:
                self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD)
                return
            body = b""
            if track <= 1:
                body += bytes((0, 0x14, 1, 0)) + addr(0)          # track 1: ADR 1, data track
            body += bytes((0, 0x14, LEAD_OUT, 0)) + addr(self.sectors)
            data = (len(body) + 2).to_bytes(2, "big") + bytes((1, 1)) + body
        elif fmt == 1:
            data = bytes((0, 0x0A, 1, 1, 0, 0x14, 1, 0)) + addr(0)
        else:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD)
            return
        self.send(data, int.from_bytes(cdb[7:9], "big"))

    def get_configuration(self, cdb: bytes) -> None:
        """[MMC] GET CONFIGURATION: Profile List, Core, Morphing, Removable Medium, Random
        Readable and CD Read features; the CD-ROM profile is current while the tray is closed."""
        rt = cdb[1] & 0x03
        start = int.from_bytes(cdb[2:4], "big")
        if rt == 3:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD)
            return
        media = not self.tray_open
        cur = 0x01 if media else 0x00
        features = [
            (0x0000, bytes((0x00, 0x00, 0x03, 0x04)) + PROFILE_CD_ROM.to_bytes(2, "big") + bytes((cur, 0))),
            (0x0001, bytes((0x00, 0x01, 0x03, 0x04, 0, 0, 0, 0x02))),       # Core: ATAPI interface
            (0x0002, bytes((0x00, 0x02, 0x07, 0x04, 0, 0, 0, 0))),          # Morphing, version 1
            (0x0003, bytes((0x00, 0x03, 0x03, 0x04, 0x29, 0, 0, 0))),       # tray, eject, lock
            (0x0010, bytes((0x00, 0x10, cur, 0x08)) + CD_SECTOR.to_bytes(4, "big") + bytes((0, 1, 0, 0))),
            (0x001E, bytes((0x00, 0x1E, cur, 0x04, 0, 0, 0, 0))),           # CD Read
        ]
        body = b""
        for code, desc in features:
            if rt == 2 and code != start or code < start or rt == 1 and not desc[2] & 0x01:
                continue
            body += desc
        header = (len(body) + 4).to_bytes(4, "big") + bytes(2) + \
            (PROFILE_CD_ROM if media else 0).to_bytes(2, "big")
        self.send(header + body, int.from_bytes(cdb[7:9], "big"))

    def get_event_status(self, cdb: bytes) -> None:
        """[MMC] GET EVENT STATUS NOTIFICATION, polled only, the Media class (4) only."""
        if not cdb[1] & 0x01:
            self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD)   # asynchronous: no
            return
        if cdb[4] & 0x10:
            event, self.media_event = self.media_event, 0
            data = bytes((0, 6, 0x04, 0x10, event, 0x00 if self.tray_open else 0x02, 0, 0))
        else:
            data = bytes((0, 2, 0x80, 0x10))               # NEA: no requested class is supported
        self.send(data, int.from_bytes(cdb[7:9], "big"))

    def prevent_allow(self, cdb: bytes) -> None:
        """[MMC] PREVENT ALLOW MEDIUM REMOVAL: bit 0 of byte 4 locks the tray."""
        self.locked = bool(cdb[4] & 0x01)
        self.complete()

    def start_stop(self, cdb: bytes) -> None:
        """[MMC] START STOP UNIT: LoEj with Start = 0 opens the tray (unless locked), with Start
        = 1 closes it (the same disc is back: UNIT ATTENTION); without LoEj nothing to do."""
        if cdb[4] & 0x02:
            if cdb[4] & 0x01:
                if self.tray_open:
                    self.tray_open = False
                    self.unit_attention = True
                    self.media_event = 0x02                 # new media
            elif self.locked:
                self.check_condition(SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED)
                return
            elif not self.tray_open:
                self.tray_open = True
                self.media_event = 0x03                     # media removal
        self.complete()

    _SCSI = {
        SCSI_TEST_UNIT_READY: test_unit_ready,
        SCSI_REQUEST_SENSE: request_sense,
        SCSI_INQUIRY: inquiry,
        SCSI_START_STOP_UNIT: start_stop,
        SCSI_PREVENT_ALLOW: prevent_allow,
        SCSI_READ_CAPACITY: read_capacity,
        SCSI_READ_10: read,
        SCSI_SEEK_10: seek,
        SCSI_READ_TOC: read_toc,
        SCSI_GET_CONFIGURATION: get_configuration,
        SCSI_GET_EVENT_STATUS: get_event_status,
        SCSI_MODE_SENSE_10: mode_sense,
        SCSI_READ_12: read,
    }


# =====================================================================================================
class IdeChannel(Device):
    """One IDE channel: eight command block ports, the control port, an IRQ, two device places."""

    NAME = "ide"
    STATE_VERSION = 1
    STATE_FIELDS = ("control", "selected", "device0", "device1")
    IO_WIDTHS: ClassVar[tuple[int, ...]] = (1, 2, 4)

    def __init__(self, name: str, base: int, ctrl: int, irq: IrqLine,
                 devices: Sequence[AtaDevice | None] = (None, None),
                 log: Callable[[str], None] | None = None) -> None:
        self.NAME = name                      # "ide0", "ide1": snapshot key
        self.base = base
        self.ctrl = ctrl
        self.irq = irq
        self.devices: list[AtaDevice | None] = [*devices, None, None][:2]
        for unit, dev in enumerate(self.devices):
            if dev is not None:
                dev.unit = unit
                dev.log = None if log is None else (lambda text, name=name: log(f"{name}: {text}"))
        self.control = 0                       # Device Control register (nIEN, SRST)
        self.selected = 0                      # DEV of the last Device register write
        self.reset()

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(self.base, 8), (self.ctrl, 1)]

    @property
    def images(self) -> list[DiskImage]:
        return [d.image for d in self.devices if d is not None]

    # --- saved state: each device place as a dict (None when empty) ------------------------------------
    @property
    def device0(self) -> dict[str, Any] | None:
        return self._dev_state(0)

    @device0.setter
    def device0(self, state: dict[str, Any] | None) -> None:
        self._set_dev_state(0, state)

    @property
    def device1(self) -> dict[str, Any] | None:
        return self._dev_state(1)

    @device1.setter
    def device1(self, state: dict[str, Any] | None) -> None:
        self._set_dev_state(1, state)

    def _dev_state(self, unit: int) -> dict[str, Any] | None:
        dev = self.devices[unit]
        return None if dev is None else {"kind": dev.KIND, **dev.get_state()}

    def _set_dev_state(self, unit: int, state: dict[str, Any] | None) -> None:
        dev = self.devices[unit]
        kind = None if state is None else state.get("kind")
        if (dev.KIND if dev is not None else None) != kind:
            raise StateError(f"{self.NAME}: saved device {unit} is {kind}, this machine has "
                             f"{dev.KIND if dev is not None else None}")
        if dev is not None and state is not None:
            dev.set_state({k: v for k, v in state.items() if k != "kind"})

    def state_loaded(self) -> None:
        self.update_irq()

    # --- reset -----------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Hardware reset (RESET-, the machine's reset): power-on defaults and signatures."""
        self.control = 0
        self.selected = 0
        for dev in self.devices:
            if dev is not None:
                dev.power_on()
        self.update_irq()

    def software_reset(self) -> None:
        """SRST cleared ([ATA6] "Software reset protocol"): signatures, settings kept, no interrupt."""
        self.selected = 0
        for dev in self.devices:
            if dev is not None:
                dev.post_signature()
                dev.intrq = False
                if dev.power == POWER_SLEEP:
                    dev.power = POWER_ACTIVE
        self.update_irq()

    # --- interrupt -------------------------------------------------------------------------------------
    def update_irq(self) -> None:
        """INTRQ: the selected device's pending interrupt unless nIEN ([ATA6] "Device Control register")."""
        dev = self.devices[self.selected]
        self.irq.set(dev is not None and dev.intrq and not self.control & (CTL_NIEN | CTL_SRST))

    # --- ports -----------------------------------------------------------------------------------------
    def io_read(self, port: int, size: int) -> int:
        if port == self.base:
            # fast path for REP INSW/INSD inside a DRQ block (the block's last word takes the slow one)
            dev = self.devices[self.selected]
            if dev is not None and dev.status & DRQ and not self.control & CTL_SRST:
                pos, buf = dev.pos, dev.buf
                if size == 2 and pos + 2 < len(buf):
                    dev.pos = pos + 2
                    return buf[pos] | buf[pos + 1] << 8
                if size == 4 and pos + 4 < len(buf):
                    dev.pos = pos + 4
                    return int.from_bytes(buf[pos : pos + 4], "little")
            return self._read_data(size)
        offset = port - self.base
        if size > 1:
            return sum(self.io_read(port + i, 1) << (8 * i) for i in range(size))
        if port == self.ctrl:
            return self._status(clear=False)
        if offset == REG_STATUS:
            return self._status(clear=True)
        dev = self.devices[self.selected]
        if dev is None:
            return 0xFF if self._empty() else 0x00
        return (0, dev.error, dev.count, dev.lba_low, dev.lba_mid, dev.lba_high, dev.device)[offset]

    def io_write(self, port: int, size: int, value: int) -> None:
        offset = port - self.base
        if offset == REG_DATA and port != self.ctrl:
            self._write_data(size, value)
            return
        if size > 1:
            for i in range(size):
                self.io_write(port + i, 1, value >> (8 * i) & 0xFF)
            return
        value &= 0xFF
        if port == self.ctrl:
            self._write_control(value)
        elif offset == REG_COMMAND:
            self._command(value)
        elif not self.control & CTL_SRST:
            for dev in self.devices:
                if dev is not None:
                    if offset == REG_FEATURES:
                        dev.features = value
                    elif offset == REG_COUNT:
                        dev.count = value
                    elif offset == REG_LBA_LOW:
                        dev.lba_low = value
                    elif offset == REG_LBA_MID:
                        dev.lba_mid = value
                    elif offset == REG_LBA_HIGH:
                        dev.lba_high = value
                    else:
                        dev.device = value
            if offset == REG_DEVICE:
                self.selected = 1 if value & DEV_DEV else 0
                self.update_irq()

    def _empty(self) -> bool:
        return self.devices[0] is None and self.devices[1] is None

    def _status(self, clear: bool) -> int:
        """Status (``clear``: the pending interrupt is acknowledged) or Alternate Status."""
        dev = self.devices[self.selected]
        if dev is None:
            return 0xFF if self._empty() else 0x00
        if self.control & CTL_SRST:
            return BSY
        if clear and dev.intrq:
            dev.intrq = False
            self.update_irq()
        return dev.status

    def _read_data(self, size: int) -> int:
        dev = self.devices[self.selected]
        if dev is None or self.control & CTL_SRST:
            return (1 << (8 * size)) - 1
        if size == 4:
            low = dev.read_word()
            value = low | dev.read_word() << 16
        else:
            value = dev.read_word()                 # a byte read takes a whole word (16-bit port)
        self.update_irq()
        return value & ((1 << (8 * size)) - 1)

    def _write_data(self, size: int, value: int) -> None:
        dev = self.devices[self.selected]
        if dev is None or self.control & CTL_SRST:
            return
        dev.write_word(value & 0xFFFF)
        if size == 4:
            dev.write_word(value >> 16 & 0xFFFF)
        self.update_irq()

    def _write_control(self, value: int) -> None:
        """Device Control ([ATA6] "Device Control register"): SRST 1 -> 0 ends a software reset,
        nIEN gates INTRQ."""
        was_reset = self.control & CTL_SRST
        self.control = value & (CTL_HOB | CTL_SRST | CTL_NIEN)
        if value & CTL_SRST and not was_reset:
            for dev in self.devices:
                if dev is not None:
                    dev.buf, dev.pos = bytearray(), 0
                    dev.end_transfer()
                    dev.intrq = False
        elif was_reset and not value & CTL_SRST:
            self.software_reset()
        self.update_irq()

    def _command(self, cmd: int) -> None:
        if self.control & CTL_SRST:
            return
        if cmd == CMD_EXECUTE_DIAGNOSTIC:
            self._execute_diagnostic()
            return
        dev = self.devices[self.selected]
        if dev is None:
            return                                  # nobody answers: the command is ignored
        dev.intrq = False                           # writing a command acknowledges INTRQ
        self.update_irq()
        dev.buf, dev.pos = bytearray(), 0
        dev.end_transfer()
        dev.command(cmd)
        self.update_irq()

    def _execute_diagnostic(self) -> None:
        """[ATA6] "EXECUTE DEVICE DIAGNOSTIC": both devices post their signature and pass (01h);
        device 0 (or the only device) interrupts.  DEV is left as the host set it."""
        present = [d for d in self.devices if d is not None]
        for dev in present:
            device_reg = dev.device
            dev.post_signature()
            dev.device = device_reg
            dev.intrq = False
        if present:
            present[0].intrq = True
        self.update_irq()


def ide_channels(images: dict[str, DiskImage], irq14: IrqLine, irq15: IrqLine,
                 log: Callable[[str], None] | None = None) -> list[IdeChannel]:
    """The two ISA channels for the drive images by option name: ``hda``/``hdb`` master and slave of
    the primary channel, ``cdrom`` (or ``hdc``) and ``hdd`` master and slave of the secondary;
    ``log`` receives the notes on unimplemented commands."""
    def disk(name: str, n: int) -> AtaDevice | None:
        img = images.get(name)
        return None if img is None else HardDisk(img, serial=f"PYX86HD{n}")

    cd = images.get("cdrom")
    secondary_master = CdRom(cd) if cd is not None else disk("hdc", 2)
    return [IdeChannel("ide0", 0x1F0, 0x3F6, irq14, (disk("hda", 0), disk("hdb", 1)), log),
            IdeChannel("ide1", 0x170, 0x376, irq15, (secondary_master, disk("hdd", 3)), log)]
