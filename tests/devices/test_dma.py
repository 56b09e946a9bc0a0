"""8237A-5 DMA controller pair and AT page registers, checked against the 8237A data sheet (231466)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from devices.debugport import PostCodePort
from devices.dma import DMA, XFER_READ, XFER_VERIFY, XFER_WRITE
from emulator.portbus import PortBus

RAM_SIZE = 0x200000          # 2 MiB

# 8-bit channel ports: (address, count, page)
CH_PORTS = {0: (0x00, 0x01, 0x87), 1: (0x02, 0x03, 0x83), 2: (0x04, 0x05, 0x81), 3: (0x06, 0x07, 0x82),
            4: (0xC0, 0xC2, 0x8F), 5: (0xC4, 0xC6, 0x8B), 6: (0xC8, 0xCA, 0x89), 7: (0xCC, 0xCE, 0x8A)}


def ctrl_port(channel: int, reg: int) -> int:
    """Port of controller register ``reg`` (8-Fh) for the controller serving ``channel``."""
    return reg if channel < 4 else 0xC0 + 2 * reg


def make(size: int = RAM_SIZE) -> tuple[DMA, np.ndarray]:
    ram = np.zeros(size, np.uint8)
    dma = DMA(ram)
    cascade_setup(dma)
    return dma, ram


def cascade_setup(dma: DMA) -> None:
    """What the AT BIOS does at POST: channel 4 in cascade mode and unmasked."""
    dma.io_write(0xD6, 1, 0xC0)
    dma.io_write(0xD4, 1, 0x00)


def program(dma: DMA, channel: int, mode: int, phys: int, nbytes: int) -> None:
    """Program a channel as the BIOS floppy code does: mask, flip-flop, mode, address, page, count, unmask."""
    a, c, p = CH_PORTS[channel]
    ch = channel & 3
    width = 2 if channel >= 4 else 1
    addr = (phys >> (width - 1)) & 0xFFFF
    count = nbytes // width - 1
    dma.io_write(ctrl_port(channel, 0xA), 1, 0x04 | ch)
    dma.io_write(ctrl_port(channel, 0xC), 1, 0)
    dma.io_write(ctrl_port(channel, 0xB), 1, mode | ch)
    dma.io_write(a, 1, addr & 0xFF)
    dma.io_write(a, 1, addr >> 8)
    dma.io_write(p, 1, phys >> 16)
    dma.io_write(c, 1, count & 0xFF)
    dma.io_write(c, 1, count >> 8)
    dma.io_write(ctrl_port(channel, 0xA), 1, ch)


def read16(dma: DMA, port: int, flip_port: int) -> int:
    dma.io_write(flip_port, 1, 0)
    lo = dma.io_read(port, 1)
    return lo | dma.io_read(port, 1) << 8


def status(dma: DMA, ctrl: int) -> int:
    return dma.io_read(0x08 if ctrl == 0 else 0xD0, 1)


# --- decode -----------------------------------------------------------------------------------
def test_port_ranges_leave_port_80_to_post_codes() -> None:
    dma, _ = make()
    ports = {p for first, n in dma.port_ranges() for p in range(first, first + n)}
    assert ports == set(range(0x10)) | set(range(0x81, 0x90)) | set(range(0xC0, 0xE0))
    bus = PortBus()
    bus.attach(PostCodePort())
    bus.attach(dma)                                  # no conflict at 80h


def test_page_registers_and_spare_latches() -> None:
    dma, _ = make()
    for port in range(0x81, 0x90):
        dma.io_write(port, 1, port ^ 0x5A)
    assert all(dma.io_read(port, 1) == port ^ 0x5A for port in range(0x81, 0x90))
    for ch, (_, _, page_port) in CH_PORTS.items():  # each channel uses its own page register
        dma.io_write(page_port, 1, 0x13)
        # A23-A16; on 16-bit channels page bit 0 is replaced by the address counter's A16
        assert dma.channel_address(ch) >> 16 == (0x13 if ch < 4 else 0x12)


def test_address_and_count_flip_flop() -> None:
    dma, _ = make()
    dma.io_write(0x0C, 1, 0)
    dma.io_write(0x04, 1, 0x34)
    dma.io_write(0x04, 1, 0x12)
    dma.io_write(0x05, 1, 0xFF)                      # flip-flop shared by all registers
    dma.io_write(0x05, 1, 0x01)
    assert read16(dma, 0x04, 0x0C) == 0x1234
    assert read16(dma, 0x05, 0x0C) == 0x01FF
    dma.io_write(0x0C, 1, 0)
    assert dma.io_read(0x04, 1) == 0x34
    assert dma.io_read(0x05, 1) == 0x01              # the flip-flop toggled on the read before
    assert dma.remaining(2) == 0x200


def test_controller2_registers_on_even_ports_odd_alias() -> None:
    dma, _ = make()
    dma.io_write(0xD9, 1, 0)                         # D9h = D8h: clear flip-flop
    dma.io_write(0xC4, 1, 0x78)                      # channel 5 address
    dma.io_write(0xC5, 1, 0x56)                      # C5h aliases C4h: the high byte
    assert read16(dma, 0xC4, 0xD8) == 0x5678
    bus = PortBus()
    bus.attach(dma)
    bus.write(0xD8, 1, 0)
    bus.write(0xCC, 2, 0xBEEF)                       # a word OUT: low byte then high byte, same register
    assert read16(dma, 0xCD, 0xD9) == 0xBEEF


# --- transfers --------------------------------------------------------------------------------
def test_floppy_write_transfer_tc_and_mask() -> None:
    dma, ram = make()
    program(dma, 2, 0x46, 0x17C00, 512)              # single mode, write (to memory), channel 2
    assert not dma.is_masked(2) and dma.ready(2)
    assert dma.transfer_type(2) == XFER_WRITE
    assert dma.channel_address(2) == 0x17C00 and dma.remaining(2) == 512
    data = bytes(range(256)) * 2
    assert dma.transfer_to_memory(2, data[:100]) == 100
    assert not dma.terminal_count(2) and dma.remaining(2) == 412
    assert dma.channel_address(2) == 0x17C00 + 100
    assert dma.transfer_to_memory(2, data[100:] + b"extra") == 412   # stops at terminal count
    assert dma.terminal_count(2)
    assert ram[0x17C00:0x17E00].tobytes() == data and ram[0x17E00] == 0
    assert dma.is_masked(2)                          # TC without auto-init sets the mask bit
    assert read16(dma, 0x05, 0x0C) == 0xFFFF         # count rolled over
    assert read16(dma, 0x04, 0x0C) == 0x7E00
    assert status(dma, 0) & 0x0F == 0x04             # TC bit for channel 2
    assert status(dma, 0) & 0x0F == 0                # cleared by the read
    assert dma.transfer_to_memory(2, b"x") == 0      # masked now
    assert not dma.terminal_count(2)


def test_floppy_read_transfer() -> None:
    dma, ram = make()
    ram[0x9000:0x9200] = np.arange(512) % 251
    program(dma, 2, 0x4A, 0x9000, 512)               # single mode, read (from memory)
    assert dma.transfer_type(2) == XFER_READ
    got = dma.transfer_from_memory(2, 300) + dma.transfer_from_memory(2, 1000)
    assert got == ram[0x9000:0x9200].tobytes()
    assert dma.terminal_count(2) and dma.transfer_from_memory(2, 10) == b""


def test_auto_initialise_reloads_and_stays_unmasked() -> None:
    dma, ram = make()
    program(dma, 1, 0x58, 0x20000, 8)                # single, read, auto-init, channel 1
    ram[0x20000:0x20008] = np.arange(1, 9)
    assert dma.transfer_from_memory(1, 20) == bytes(range(1, 9))
    assert dma.terminal_count(1) and not dma.is_masked(1)
    assert dma.channel_address(1) == 0x20000 and dma.remaining(1) == 8
    assert status(dma, 0) & 0x02
    assert dma.transfer_from_memory(1, 3) == bytes((1, 2, 3))
    assert not dma.terminal_count(1)
    program(dma, 2, 0x56, 0x30000, 4)                # write with auto-init
    assert dma.transfer_to_memory(2, b"ABCDEF") == 4
    assert dma.transfer_to_memory(2, b"xy") == 2
    assert ram[0x30000:0x30004].tobytes() == b"xyCD"


def test_decrement_mode() -> None:
    dma, ram = make()
    program(dma, 3, 0x66, 0x41005, 4)                # write, address decrement
    assert dma.transfer_to_memory(3, b"ABCD") == 4
    assert ram[0x41002:0x41006].tobytes() == b"DCBA"
    assert dma.channel_address(3) == 0x41001
    program(dma, 3, 0x6A, 0x41005, 4)                # read, decrement
    assert dma.transfer_from_memory(3, 4) == b"ABCD"


def test_8bit_wraps_within_64k_page() -> None:
    dma, ram = make()
    program(dma, 2, 0x46, 0x1FFFE, 4)
    assert dma.transfer_to_memory(2, b"wxyz") == 4
    assert ram[0x1FFFE:0x20000].tobytes() == b"wx"
    assert ram[0x10000:0x10002].tobytes() == b"yz"   # address wrapped, page did not carry
    assert ram[0x20000:0x20002].tobytes() == b"\0\0"
    assert dma.channel_address(2) == 0x10002
    program(dma, 2, 0x66, 0x10001, 4)                # decrementing through 0000h -> FFFFh
    assert dma.transfer_to_memory(2, b"abcd") == 4
    assert ram[0x10000:0x10002].tobytes() == b"ba"
    assert ram[0x1FFFE:0x20000].tobytes() == b"dc"


def test_16bit_channel_word_addressing_and_128k_wrap() -> None:
    dma, ram = make()
    program(dma, 5, 0x44, 0x122000, 8)               # page 12h, word address 1000h
    assert read16(dma, 0xC4, 0xD8) == 0x1000
    assert read16(dma, 0xC6, 0xD8) == 3              # count in words minus one
    assert dma.remaining(5) == 8 and dma.channel_address(5) == 0x122000
    assert dma.transfer_to_memory(5, b"12345") == 4  # only whole words
    assert dma.transfer_to_memory(5, b"6789abc") == 4
    assert ram[0x122000:0x122008].tobytes() == b"12346789"
    assert status(dma, 1) & 0x02                     # channel 5 = controller 2 bit 1
    dma.io_write(0x8B, 1, 0x13)                      # page bit 0 is A16: ignored for 16-bit channels
    dma.io_write(0xD8, 1, 0)
    dma.io_write(0xC4, 1, 0xFF)
    dma.io_write(0xC4, 1, 0xFF)
    dma.io_write(0xC6, 1, 1)
    dma.io_write(0xC6, 1, 0)
    dma.io_write(0xD4, 1, 1)                         # unmask channel 5
    assert dma.channel_address(5) == 0x13FFFE
    assert dma.transfer_to_memory(5, b"ABCD") == 4
    assert ram[0x13FFFE:0x140000].tobytes() == b"AB"
    assert ram[0x120000:0x120002].tobytes() == b"CD"  # wrapped within the 128 KiB block
    program(dma, 6, 0x68, 0x50008, 4)                # read, decrement, 16-bit: word order reverses
    ram[0x50006:0x5000A] = np.frombuffer(b"abcd", np.uint8)
    assert dma.transfer_from_memory(6, 5) == b"cdab"


def test_verify_consumes_count_without_memory() -> None:
    dma, ram = make()
    ram[0x6000:0x6010] = 0x77
    program(dma, 0, 0x42, 0x6000, 16)                # verify
    assert dma.transfer_type(0) == XFER_VERIFY
    assert dma.transfer_to_memory(0, bytes(16)) == 16
    assert dma.terminal_count(0) and (ram[0x6000:0x6010] == 0x77).all()
    program(dma, 0, 0x42, 0x6000, 16)
    assert dma.transfer_from_memory(0, 16) == b"\xff" * 16
    program(dma, 0, 0x4A, 0x6000, 16)                # read programmed, device writes: memory untouched
    assert dma.transfer_to_memory(0, bytes(16)) == 16
    assert (ram[0x6000:0x6010] == 0x77).all()


def test_beyond_ram_reads_ff_and_drops_writes() -> None:
    dma, ram = make(0x10004)
    program(dma, 2, 0x46, 0x10002, 4)
    assert dma.transfer_to_memory(2, b"ABCD") == 4
    assert ram[0x10002:].tobytes() == b"AB"
    program(dma, 2, 0x4A, 0x10002, 4)
    assert dma.transfer_from_memory(2, 4) == b"AB\xff\xff"


def test_controller_disable_and_cascade_path() -> None:
    dma, _ = make()
    program(dma, 2, 0x46, 0x1000, 16)
    dma.io_write(0x08, 1, 0x04)                      # command bit 2: controller disable
    assert not dma.ready(2) and dma.transfer_to_memory(2, b"ab") == 0
    dma.io_write(0x08, 1, 0x00)
    assert dma.transfer_to_memory(2, b"ab") == 2
    dma.io_write(0xD4, 1, 0x04)                      # mask channel 4: controller 1 gets no bus
    assert not dma.is_masked(2) and not dma.ready(2)
    dma.io_write(0xD4, 1, 0x00)
    dma.io_write(0xD6, 1, 0x40)                      # channel 4 not in cascade mode
    assert not dma.ready(2)
    cascade_setup(dma)
    assert dma.ready(2)
    assert dma.transfer_to_memory(4, b"ab") == 0     # the cascade channel itself never transfers
    fresh = DMA(np.zeros(16, np.uint8))
    assert all(fresh.is_masked(ch) and not fresh.ready(ch) for ch in range(8))


def test_mask_registers() -> None:
    dma, _ = make()
    dma.io_write(0x0E, 1, 0)                         # clear mask register
    assert dma.io_read(0x0F, 1) & 0x0F == 0
    dma.io_write(0x0F, 1, 0x0A)                      # write all mask bits
    assert [dma.is_masked(ch) for ch in range(4)] == [False, True, False, True]
    dma.io_write(0x0A, 1, 0x04)                      # set channel 0 mask
    dma.io_write(0x0A, 1, 0x01)                      # clear channel 1 mask
    assert dma.io_read(0x0F, 1) & 0x0F == 0x09
    dma.io_write(0xDC, 1, 0)                         # controller 2: clear mask register (reg Eh)
    assert dma.io_read(0xDC, 1) == 0xFF              # illegal read
    assert dma.io_read(0x0B, 1) == 0xFF
    assert dma.io_read(0xDF, 1) == 0xF0              # DFh aliases DEh: all-mask register, all clear


def test_master_clear() -> None:
    dma, _ = make()
    program(dma, 2, 0x46, 0x1234, 16)
    dma.transfer_to_memory(2, bytes(16))
    dma.io_write(0x08, 1, 0x10)
    dma.io_write(0x09, 1, 0x05)
    dma.io_write(0x04, 1, 0x00)                      # leave the flip-flop on the high byte
    dma.io_write(0x0D, 1, 0)                         # master clear
    assert all(dma.is_masked(ch) for ch in range(4))
    assert status(dma, 0) == 0                       # TC and request bits cleared
    assert dma.command[0] == 0
    assert dma.io_read(0x0D, 1) == 0                 # temporary register
    assert dma.io_read(0x04, 1) == 0x00              # flip-flop cleared: low byte first
    assert dma.mode[2] == 0x44                       # mode registers keep their contents
    assert not dma.is_masked(4)                      # controller 2 unaffected


def test_status_request_bits() -> None:
    dma, _ = make()
    dma.set_dreq(2, 1)
    assert status(dma, 0) == 0x40
    dma.set_dreq(2, 0)
    dma.io_write(0x09, 1, 0x07)                      # software request, channel 3
    assert status(dma, 0) == 0x80
    assert status(dma, 1) & 0x10                     # DREQ4 = controller 1 HRQ
    dma.io_write(0x09, 1, 0x03)
    assert status(dma, 0) == 0 and status(dma, 1) == 0
    dma.set_dreq(1, 1)                               # channel 1 masked: no HRQ
    assert status(dma, 0) == 0x20 and status(dma, 1) == 0
    dma.io_write(0x0A, 1, 0x01)
    assert status(dma, 1) == 0x10
    dma.set_dreq(6, True)
    assert status(dma, 1) == 0x50
    program(dma, 3, 0x46, 0x1000, 2)                 # TC clears a software request
    dma.io_write(0x09, 1, 0x07)
    dma.transfer_to_memory(3, b"ab")
    assert status(dma, 0) == 0x28                    # TC3, DREQ1
    with pytest.raises(ValueError):
        dma.set_dreq(8, 1)


def test_reset_is_power_on_state() -> None:
    dma, _ = make()
    program(dma, 2, 0x46, 0x1234, 16)
    dma.io_write(0x84, 1, 0x99)
    dma.reset()
    assert dma.save_state() == DMA(np.zeros(1, np.uint8)).save_state()


# --- save / restore ---------------------------------------------------------------------------
def test_save_restore_round_trip() -> None:
    dma, ram = make()
    program(dma, 2, 0x56, 0x17C00, 64)
    program(dma, 5, 0x48, 0x40000, 32)
    ram[0x40000:0x40020] = np.arange(32)
    dma.transfer_to_memory(2, bytes(range(10)))
    dma.transfer_from_memory(5, 6)
    dma.set_dreq(2, 1)
    dma.io_write(0x0C, 1, 0)
    dma.io_read(0x04, 1)                             # flip-flop mid-pair
    dma.io_write(0x86, 1, 0x42)
    state = dma.save_state()
    ram2 = ram.copy()
    other = DMA(ram2)
    other.load_state(state, DMA.STATE_VERSION)
    for d in (dma, other):
        d.transfer_to_memory(2, bytes(range(100, 200)))
    assert dma.transfer_from_memory(5, 100) == other.transfer_from_memory(5, 100)
    reads = [0x04, 0x05, 0x08, 0xC4, 0xC6, 0xD0, 0x0F, 0x86, 0x81]
    assert [dma.io_read(p, 1) for p in reads] == [other.io_read(p, 1) for p in reads]
    assert (ram == ram2).all()
    assert dma.save_state() == other.save_state()


# --- robustness -------------------------------------------------------------------------------
def test_fuzz_ports_and_device_calls_never_raise() -> None:
    rng = random.Random(8237)
    dma, ram = make(0x30000)                         # small RAM: transfers run off its end
    bus = PortBus()
    bus.attach(dma)
    ports = [p for first, n in dma.port_ranges() for p in range(first, first + n)]
    for i in range(20000):
        r = rng.random()
        port = rng.choice(ports)
        if r < 0.45:
            dma.io_write(port, 1, rng.randrange(256))
        elif r < 0.75:
            assert 0 <= dma.io_read(port, 1) <= 0xFF
        elif r < 0.82:
            size = rng.choice((1, 2, 4))
            if rng.random() < 0.5:
                bus.write(port, size, rng.randrange(1 << (8 * size)))
            else:
                assert 0 <= bus.read(port, size) < 1 << (8 * size)
        elif r < 0.85:
            dma.io_write(rng.randrange(-10, 0x20000), 1, rng.randrange(-1000, 1 << 20))
            dma.io_read(rng.randrange(0x10000), 1)
        elif r < 0.88:
            cascade_setup(dma)
            dma.io_write(rng.choice((0x0E, 0xDC)), 1, 0)
        else:
            ch = rng.randrange(8)
            dma.set_dreq(ch, rng.randrange(2))
            n = rng.choice((0, 1, 2, 3, 513, rng.randrange(70000)))
            if rng.random() < 0.5:
                got = dma.transfer_to_memory(ch, bytes(n))
                assert 0 <= got <= n
            else:
                assert len(dma.transfer_from_memory(ch, n)) <= n
            assert 0 < dma.remaining(ch) <= 0x20000
            assert 0 <= dma.channel_address(ch) < 1 << 24
        if i % 4000 == 0:
            copy = DMA(ram.copy())
            copy.load_state(dma.save_state())
    assert len(ram) == 0x30000
