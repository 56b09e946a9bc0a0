"""Tests for the 8259A pair (devices/pic.py) against the Intel 8259A datasheet (231468) and PIIX ELCR."""

from __future__ import annotations

import random

import pytest

from devices.base import IrqLine, StateError
from devices.pic import DualPIC
from emulator.portbus import PortBus

EOI, SEOI, ROT_EOI, ROT_SEOI, SET_PRIO = 0x20, 0x60, 0xA0, 0xE0, 0xC0
ROT_AEOI_SET, ROT_AEOI_CLR = 0x80, 0x00
READ_IRR, READ_ISR, POLL = 0x0A, 0x0B, 0x0C
SMM_SET, SMM_CLR = 0x68, 0x48


def init_pic(icw4: int = 0x01, icw1: int = 0x11, master_base: int = 0x08,
             slave_base: int = 0x70) -> DualPIC:
    """The AT BIOS sequence (ICW1=11h, ICW2=08h/70h, ICW3=04h/02h, ICW4=01h), all unmasked."""
    pic = DualPIC()
    for base, vec, icw3 in ((0x20, master_base, 0x04), (0xA0, slave_base, 0x02)):
        pic.io_write(base, 1, icw1)
        pic.io_write(base + 1, 1, vec)
        pic.io_write(base + 1, 1, icw3)
        if icw1 & 1:
            pic.io_write(base + 1, 1, icw4)
    return pic


def pulse(pic: DualPIC, irq: int) -> None:
    pic.set_irq(irq, 1)
    pic.set_irq(irq, 0)


def read_isr(pic: DualPIC, base: int = 0x20) -> int:
    pic.io_write(base, 1, READ_ISR)
    return pic.io_read(base, 1)


def read_irr(pic: DualPIC, base: int = 0x20) -> int:
    pic.io_write(base, 1, READ_IRR)
    return pic.io_read(base, 1)


# --- power-on and initialisation ----------------------------------------------------------

def test_power_on_state() -> None:
    pic = DualPIC()
    assert pic.io_read(0x21, 1) == 0xFF and pic.io_read(0xA1, 1) == 0xFF
    assert pic.io_read(0x20, 1) == 0 and pic.io_read(0xA0, 1) == 0
    assert pic.io_read(0x4D0, 1) == 0 and pic.io_read(0x4D1, 1) == 0
    pic.set_irq(0, 1)
    assert not pic.intr                      # everything masked until the BIOS programs it
    assert pic.port_ranges() == [(0x20, 2), (0xA0, 2), (0x4D0, 2)]


def test_bios_init_sequence_vectors() -> None:
    pic = init_pic()
    assert pic.io_read(0x21, 1) == 0 and pic.io_read(0xA1, 1) == 0   # ICW1 clears the IMR
    for irq in range(16):
        if irq == 2:
            continue
        pulse(pic, irq)
        assert pic.intr
        vec = pic.acknowledge()
        assert vec == (0x08 + irq if irq < 8 else 0x70 + irq - 8)
        if irq >= 8:
            pic.io_write(0xA0, 1, EOI)
        pic.io_write(0x20, 1, EOI)
        assert read_isr(pic) == 0 and read_isr(pic, 0xA0) == 0
    assert not pic.intr


def test_icw2_low_bits_ignored_and_ocw1_after_init() -> None:
    pic = init_pic(master_base=0x0F, slave_base=0x77)
    pic.io_write(0x21, 1, 0xB8)              # now OCW1, not an ICW
    assert pic.io_read(0x21, 1) == 0xB8
    pulse(pic, 0)
    assert pic.acknowledge() == 0x08
    pic.io_write(0x20, 1, EOI)
    pulse(pic, 9)
    assert pic.acknowledge() == 0x71


def test_icw1_resets_edge_sense_and_state() -> None:
    pic = init_pic()
    pic.set_irq(3, 1)                         # latched
    pic.io_write(0x20, 1, READ_ISR)
    pic.io_write(0x20, 1, SET_PRIO | 3)
    pic.io_write(0x21, 1, 0x55)
    pic.io_write(0x20, 1, 0x11)               # ICW1 again
    assert pic.io_read(0x21, 1) == 0          # IMR cleared
    assert pic.io_read(0x20, 1) == 0          # IRR selected, edge latch reset
    pic.io_write(0x21, 1, 0x08)
    pic.io_write(0x21, 1, 0x04)
    pic.io_write(0x21, 1, 0x01)
    assert not pic.intr                       # line is still high: needs a new rising edge
    pic.set_irq(3, 0)
    pic.set_irq(3, 1)
    assert pic.intr
    pulse(pic, 1)
    assert pic.acknowledge() == 0x09          # IR7 is lowest again: IR1 beats IR3


def test_single_mode_without_icw3_or_icw4() -> None:
    pic = DualPIC()
    pic.io_write(0x20, 1, 0x13)               # single, ICW4 needed
    pic.io_write(0x21, 1, 0x20)               # ICW2
    pic.io_write(0x21, 1, 0x01)               # ICW4 (no ICW3 in single mode)
    pic.io_write(0x21, 1, 0x00)               # OCW1
    assert pic.io_read(0x21, 1) == 0
    pic.io_write(0xA0, 1, 0x10)               # slave: cascade, no ICW4
    pic.io_write(0xA1, 1, 0x70)
    pic.io_write(0xA1, 1, 0x02)
    pic.io_write(0xA1, 1, 0x00)               # OCW1 (ICW4 skipped)
    pulse(pic, 10)
    assert pic.intr
    assert pic.acknowledge() == 0x22          # master single mode: IR2 is not a slave input
    assert read_isr(pic) == 0x04 and read_isr(pic, 0xA0) == 0


def test_slave_id_mismatch_floats_bus() -> None:
    pic = init_pic()
    pic.io_write(0xA0, 1, 0x11)
    pic.io_write(0xA1, 1, 0x70)
    pic.io_write(0xA1, 1, 0x05)               # wrong ID: the slave never sees its address
    pic.io_write(0xA1, 1, 0x01)
    pulse(pic, 12)
    assert pic.acknowledge() == 0xFF
    assert read_isr(pic) == 0x04 and read_isr(pic, 0xA0) == 0


# --- priority, masking, EOI ---------------------------------------------------------------

def test_fixed_priority_order() -> None:
    pic = init_pic()
    for irq in (5, 3, 6, 1):
        pulse(pic, irq)
    got = []
    while pic.intr:
        got.append(pic.acknowledge() - 8)
        pic.io_write(0x20, 1, EOI)
    assert got == [1, 3, 5, 6]


def test_fully_nested_only_higher_priority_interrupts() -> None:
    pic = init_pic()
    pulse(pic, 3)
    assert pic.acknowledge() == 0x0B
    pulse(pic, 5)
    assert not pic.intr                       # lower than IR3 in service
    pulse(pic, 3)
    assert not pic.intr                       # equal priority is blocked too
    pulse(pic, 1)
    assert pic.intr and pic.acknowledge() == 0x09
    assert read_isr(pic) == 0x0A
    pic.io_write(0x20, 1, EOI)                # resets IS1, the highest
    assert read_isr(pic) == 0x08 and not pic.intr
    pic.io_write(0x20, 1, EOI)
    assert pic.acknowledge() == 0x0B          # IR3 again (highest pending)
    pic.io_write(0x20, 1, EOI)
    assert pic.acknowledge() == 0x0D
    pic.io_write(0x20, 1, EOI)
    assert not pic.intr


def test_masking_keeps_request_in_irr() -> None:
    pic = init_pic()
    pic.io_write(0x21, 1, 0x10)
    pulse(pic, 4)
    assert not pic.intr
    assert read_irr(pic) == 0x10              # the IMR acts after the IRR
    pulse(pic, 6)
    assert pic.acknowledge() == 0x0E          # masking IR4 does not block IR6
    pic.io_write(0x20, 1, EOI)
    pic.io_write(0x21, 1, 0x00)
    assert pic.intr and pic.acknowledge() == 0x0C


def test_specific_eoi() -> None:
    pic = init_pic()
    pulse(pic, 4)
    pic.acknowledge()
    pulse(pic, 0)
    pic.acknowledge()
    assert read_isr(pic) & 0x11 == 0x11
    pic.io_write(0x20, 1, SEOI | 4)
    assert read_isr(pic) & 0x11 == 0x01
    pic.io_write(0x20, 1, 0x40)               # OCW2 010: no operation
    assert read_isr(pic) & 0x11 == 0x01


# --- rotation -----------------------------------------------------------------------------

def test_rotate_on_nonspecific_eoi() -> None:
    pic = init_pic()
    pulse(pic, 3)
    pulse(pic, 5)
    assert pic.acknowledge() == 0x0B
    pic.io_write(0x20, 1, ROT_EOI)            # IR3 becomes lowest: order 4,5,6,7,0,1,2,3
    pulse(pic, 3)
    pulse(pic, 0)
    got = []
    while pic.intr:
        got.append(pic.acknowledge() - 8)
        pic.io_write(0x20, 1, EOI)
    assert got == [5, 0, 3]


def test_set_priority_and_rotate_on_specific_eoi() -> None:
    pic = init_pic()
    pic.io_write(0x20, 1, SET_PRIO | 4)       # IR4 lowest, IR5 highest
    for irq in (0, 4, 5, 7):
        pulse(pic, irq)
    assert pic.acknowledge() == 0x0D
    pic.io_write(0x20, 1, ROT_SEOI | 0)       # IR0 lowest: IR1 highest ... IR0
    assert read_isr(pic) == 0x20              # specific EOI of IR0 left IS5 alone
    pic.io_write(0x20, 1, SEOI | 5)
    got = []
    while pic.intr:
        got.append(pic.acknowledge() - 8)
        pic.io_write(0x20, 1, EOI)
    assert got == [4, 7, 0]


def test_nonspecific_eoi_follows_rotated_priority() -> None:
    pic = init_pic()
    pic.io_write(0x20, 1, SET_PRIO | 5)       # IR6 highest
    pulse(pic, 0)
    assert pic.acknowledge() == 0x08
    pulse(pic, 6)
    assert pic.acknowledge() == 0x0E          # IR6 outranks IR0 now
    pic.io_write(0x20, 1, EOI)
    assert read_isr(pic) == 0x01              # IS6 (highest) went first


def test_aeoi_and_rotate_in_aeoi() -> None:
    pic = init_pic(icw4=0x03)                 # AEOI
    pulse(pic, 3)
    pulse(pic, 5)
    assert pic.acknowledge() == 0x0B
    assert read_isr(pic) == 0
    assert pic.intr and pic.acknowledge() == 0x0D
    pic.io_write(0x20, 1, ROT_AEOI_SET)
    for irq in (1, 3, 6):
        pulse(pic, irq)
    assert pic.acknowledge() == 0x09          # IR1 then becomes lowest
    pulse(pic, 1)
    got = [pic.acknowledge() - 8 for _ in range(3)]
    assert got == [3, 6, 1]                   # rotation after each acknowledge
    pic.io_write(0x20, 1, ROT_AEOI_CLR)
    pulse(pic, 0)
    pulse(pic, 7)
    assert pic.acknowledge() == 0x0F          # IR1 lowest: order 2..7,0,1 -> IR7 first
    assert pic.acknowledge() == 0x08
    pulse(pic, 7)
    pulse(pic, 0)
    assert pic.acknowledge() == 0x0F          # no further rotation once cleared


def test_aeoi_on_slave_and_master_cascade() -> None:
    pic = init_pic(icw4=0x03)
    pulse(pic, 14)
    assert pic.acknowledge() == 0x76
    assert read_isr(pic) == 0 and read_isr(pic, 0xA0) == 0
    pulse(pic, 8)
    pulse(pic, 9)
    assert pic.acknowledge() == 0x70
    assert pic.intr and pic.acknowledge() == 0x71   # the slave's second request is not lost


# --- OCW3: status reads, poll, special mask -----------------------------------------------

def test_read_irr_isr_selection_persists() -> None:
    pic = init_pic()
    pulse(pic, 1)
    pulse(pic, 4)
    pic.io_write(0x20, 1, READ_IRR)
    assert pic.io_read(0x20, 1) == 0x12
    pic.acknowledge()
    assert pic.io_read(0x20, 1) == 0x10       # still IRR
    pic.io_write(0x20, 1, READ_ISR)
    assert pic.io_read(0x20, 1) == 0x02
    assert pic.io_read(0x20, 1) == 0x02
    pic.io_write(0x20, 1, 0x08)               # RR=0: no change
    assert pic.io_read(0x20, 1) == 0x02
    assert pic.io_read(0x21, 1) == 0x00       # odd port is always the IMR


def test_poll_mode() -> None:
    pic = init_pic()
    pic.io_write(0x21, 1, 0xFF)               # poll works with the INT output unused
    pulse(pic, 5)
    pulse(pic, 6)
    pic.io_write(0x20, 1, POLL)
    assert pic.io_read(0x21, 1) == 0xFF       # the odd port still reads the IMR
    assert pic.io_read(0x20, 1) == 0x00       # masked: nothing to report
    pic.io_write(0x21, 1, 0x00)
    pic.io_write(0x20, 1, POLL)
    assert pic.io_read(0x20, 1) == 0x85       # acts as INTA: IS5 set, IRR5 cleared
    assert pic.io_read(0x20, 1) == 0x40       # one-shot: back to reading the IRR
    assert read_isr(pic) == 0x20
    pic.io_write(0x20, 1, EOI)
    pic.io_write(0x20, 1, POLL)
    assert pic.io_read(0x20, 1) == 0x86
    pic.io_write(0x20, 1, EOI)
    pic.io_write(0x20, 1, POLL)
    assert pic.io_read(0x20, 1) == 0x00


def test_poll_slave() -> None:
    pic = init_pic()
    pulse(pic, 11)
    pic.io_write(0x20, 1, POLL)
    assert pic.io_read(0x20, 1) == 0x82       # the master reports its cascade input
    pic.io_write(0xA0, 1, POLL)
    assert pic.io_read(0xA0, 1) == 0x83
    assert read_isr(pic, 0xA0) == 0x08 and read_isr(pic) == 0x04


def test_special_mask_mode() -> None:
    pic = init_pic()
    pulse(pic, 3)
    assert pic.acknowledge() == 0x0B
    pulse(pic, 5)
    assert not pic.intr
    pic.io_write(0x21, 1, 0x08)               # mask IR3 and enter special mask mode
    pic.io_write(0x20, 1, SMM_SET)
    assert pic.intr and pic.acknowledge() == 0x0D   # lower level enabled
    pic.io_write(0x20, 1, EOI)                # non-specific EOI skips the masked IS3
    assert read_isr(pic) == 0x08
    pulse(pic, 6)
    pic.io_write(0x21, 1, 0x48)               # IR6 masked in SMM: it stays out
    assert not pic.intr
    pic.io_write(0x20, 1, SMM_CLR)
    pic.io_write(0x21, 1, 0x00)
    assert not pic.intr                       # IS3 blocks IR6 again in normal mode
    pic.io_write(0x20, 1, 0x28)               # OCW3 with ESMM=0: SMM bit ignored
    pic.io_write(0x20, 1, EOI)
    assert pic.intr and pic.acknowledge() == 0x0E


def test_special_mask_unmasked_in_service_still_blocks_lower() -> None:
    pic = init_pic()
    pulse(pic, 4)
    pic.acknowledge()
    pic.io_write(0x20, 1, SMM_SET)
    pulse(pic, 6)
    assert not pic.intr                       # IS4 is not masked: IR6 still waits
    pulse(pic, 1)
    assert pic.acknowledge() == 0x09


def test_special_fully_nested_mode() -> None:
    pic = init_pic(icw4=0x11)                 # SFNM on both (only the master uses it)
    pulse(pic, 12)
    assert pic.acknowledge() == 0x74
    pulse(pic, 14)
    assert not pic.intr                       # lower priority inside the slave
    pulse(pic, 9)
    assert pic.intr                           # higher slave level passes the busy IR2
    assert pic.acknowledge() == 0x71
    assert read_isr(pic, 0xA0) == 0x12 and read_isr(pic) == 0x04
    normal = init_pic()
    pulse(normal, 12)
    normal.acknowledge()
    pulse(normal, 9)
    assert not normal.intr                    # without SFNM IS2 locks the slave out


# --- cascade, edge/level, spurious -------------------------------------------------------

def test_cascade_delivery_and_priority() -> None:
    pic = init_pic()
    pulse(pic, 3)
    pulse(pic, 10)
    pulse(pic, 1)
    assert pic.acknowledge() == 0x09          # IR1 > IR2 (slave) > IR3
    pic.io_write(0x20, 1, EOI)
    assert pic.acknowledge() == 0x72
    assert read_isr(pic) == 0x04 and read_isr(pic, 0xA0) == 0x04
    assert not pic.intr                       # IR3 waits for the cascade level
    pic.io_write(0xA0, 1, EOI)
    pic.io_write(0x20, 1, EOI)
    assert pic.acknowledge() == 0x0B
    pic.io_write(0x21, 1, 0x04)               # masking IR2 on the master hides the slave
    pulse(pic, 15)
    assert not pic.intr
    assert read_irr(pic, 0xA0) == 0x80


def test_slave_pending_after_eoi_redelivers() -> None:
    pic = init_pic()
    pulse(pic, 14)
    pulse(pic, 12)
    assert pic.acknowledge() == 0x74
    pic.io_write(0xA0, 1, EOI)
    assert not pic.intr                       # master IS2 still set
    pic.io_write(0x20, 1, EOI)
    assert pic.intr and pic.acknowledge() == 0x76


def test_irq2_is_redirected_to_irq9() -> None:
    pic = init_pic()
    pulse(pic, 2)
    assert pic.acknowledge() == 0x71
    assert read_isr(pic, 0xA0) == 0x02
    pic.set_irq(16, 1)                        # out of range: ignored
    pic.set_irq(-1, 1)


def test_edge_needs_new_rising_edge() -> None:
    pic = init_pic()
    pic.set_irq(4, 1)
    assert pic.acknowledge() == 0x0C
    pic.io_write(0x20, 1, EOI)
    assert not pic.intr                       # still high: no second request
    pic.set_irq(4, 0)
    assert not pic.intr
    pic.set_irq(4, 1)
    assert pic.intr
    pic.set_irq(4, 0)
    assert pic.intr                           # the edge is latched (pulse() style devices)
    assert pic.acknowledge() == 0x0C


def test_elcr_masks_and_level_mode() -> None:
    pic = init_pic()
    pic.io_write(0x4D0, 1, 0xFF)
    pic.io_write(0x4D1, 1, 0xFF)
    assert pic.io_read(0x4D0, 1) == 0xF8      # IRQ0, 1, 2 always edge
    assert pic.io_read(0x4D1, 1) == 0xDE      # IRQ8, 13 always edge
    pic.io_write(0x4D0, 1, 0x20)              # IRQ5 level
    pic.set_irq(5, 1)
    assert read_irr(pic) == 0x20
    assert pic.acknowledge() == 0x0D
    assert read_irr(pic) == 0x20              # IRR follows the still-high wire
    pic.io_write(0x20, 1, EOI)
    assert pic.intr                           # still asserted: interrupts again
    assert pic.acknowledge() == 0x0D
    pic.set_irq(5, 0)
    assert read_irr(pic) == 0
    pic.io_write(0x20, 1, EOI)
    assert not pic.intr
    pic.set_irq(0, 1)                         # IRQ0 stays edge
    pic.io_write(0x20, 1, EOI)
    pic.acknowledge()
    pic.io_write(0x20, 1, EOI)
    assert not pic.intr


def test_level_mode_via_ltim() -> None:
    pic = init_pic(icw1=0x19)
    pic.set_irq(0, 1)
    assert pic.acknowledge() == 0x08
    pic.io_write(0x20, 1, EOI)
    assert pic.intr                           # level: IRQ0 requests while high
    pic.set_irq(0, 0)
    assert not pic.intr
    pulse(pic, 11)
    assert not pic.intr                       # a pulse gone before INTA leaves nothing


def test_spurious_irq7() -> None:
    pic = init_pic()
    pic.io_write(0x4D0, 1, 0x08)              # IRQ3 level
    pic.set_irq(3, 1)
    assert pic.intr
    pic.set_irq(3, 0)                         # request vanishes before INTA
    assert not pic.intr
    assert pic.acknowledge() == 0x0F          # default IR7
    assert read_isr(pic) == 0                 # no IS bit: tells it from a real IRQ7
    pulse(pic, 7)
    assert pic.acknowledge() == 0x0F
    assert read_isr(pic) == 0x80


def test_spurious_irq7_on_masking_after_int() -> None:
    pic = init_pic()
    pulse(pic, 6)
    assert pic.intr
    pic.io_write(0x21, 1, 0x40)
    assert pic.acknowledge() == 0x0F
    assert read_isr(pic) == 0 and read_irr(pic) == 0x40


def test_spurious_irq15_sets_master_is2() -> None:
    pic = init_pic()
    pic.io_write(0x4D1, 1, 0x08)              # IRQ11 level
    pic.set_irq(11, 1)
    assert pic.intr
    pic.set_irq(11, 0)                        # gone after the master latched IR2
    assert pic.intr
    assert pic.acknowledge() == 0x77          # slave default IR7 = IRQ15
    assert read_isr(pic, 0xA0) == 0
    assert read_isr(pic) == 0x04              # the master did set IS2
    pic.io_write(0x20, 1, EOI)
    assert not pic.intr


def test_intr_callback() -> None:
    seen: list[bool] = []
    pic = DualPIC(on_intr=seen.append)
    for port, v in ((0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01)):
        pic.io_write(port, 1, v)
    line = IrqLine(pic.set_irq, 1)
    line.pulse()
    assert seen == [True]
    pic.acknowledge()
    assert seen == [True, False]


def test_portbus_word_access_splits() -> None:
    pic = init_pic()
    bus = PortBus()
    bus.attach(pic)
    bus.write(0x20, 2, 0xFB20)                # EOI to 20h, then OCW1 FBh to 21h
    assert bus.read(0x20, 2) == 0xFB00


# --- save / restore and robustness --------------------------------------------------------

def _scenario_tail(pic: DualPIC) -> list[int]:
    out = []
    pulse(pic, 1)
    pic.set_irq(10, 1)
    for _ in range(4):
        out.append(pic.acknowledge() if pic.intr else -1)
        out.append(read_isr(pic))
        out.append(read_isr(pic, 0xA0))
        pic.io_write(0xA0, 1, EOI)
        pic.io_write(0x20, 1, EOI)
    pic.io_write(0x20, 1, POLL)
    out.append(pic.io_read(0x20, 1))
    out.extend([pic.io_read(p, 1) for p in (0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1)])
    return out


def test_save_restore_mid_interrupt() -> None:
    pic = init_pic()
    pic.io_write(0x4D1, 1, 0x04)              # IRQ10 level
    pic.io_write(0x20, 1, SET_PRIO | 6)       # IR7 highest, IR6 lowest
    pic.io_write(0x20, 1, READ_ISR)
    pulse(pic, 12)
    pulse(pic, 5)
    pic.set_irq(9, 1)
    assert pic.acknowledge() == 0x71
    pulse(pic, 1)
    assert pic.acknowledge() == 0x09          # nested inside the slave interrupt
    pulse(pic, 4)
    assert read_isr(pic) == 0x06 and read_isr(pic, 0xA0) == 0x02
    state = pic.save_state()
    copy = DualPIC()
    copy.set_irq(3, 1)                        # junk in the fresh device is overwritten
    copy.load_state(state, DualPIC.STATE_VERSION)
    assert copy.intr == pic.intr
    assert copy.save_state() == state
    assert _scenario_tail(copy) == _scenario_tail(pic)
    with pytest.raises(StateError):
        copy.load_state(state, DualPIC.STATE_VERSION + 1)


def test_reset_keeps_wire_levels() -> None:
    pic = init_pic()
    pic.set_irq(4, 1)
    pic.reset()
    assert pic.io_read(0x21, 1) == 0xFF and not pic.intr
    assert pic.pins & 0x10                    # the device still drives the wire
    pic.io_write(0x20, 1, 0x11)
    pic.io_write(0x21, 1, 0x08)
    pic.io_write(0x21, 1, 0x04)
    pic.io_write(0x21, 1, 0x01)
    pic.set_irq(4, 0)
    pic.set_irq(4, 1)
    assert pic.acknowledge() == 0x0C


def test_fuzz_ports_never_raise() -> None:
    rng = random.Random(8259)
    pic = DualPIC()
    bus = PortBus()
    bus.attach(pic)
    ports = [p for first, n in pic.port_ranges() for p in range(first, first + n)]
    for i in range(20000):
        r = rng.random()
        port = rng.choice(ports)
        if r < 0.45:
            pic.io_write(port, 1, rng.randrange(256))
        elif r < 0.75:
            assert 0 <= pic.io_read(port, 1) <= 0xFF
        elif r < 0.85:
            pic.set_irq(rng.randrange(-2, 18), rng.randrange(2))
        elif r < 0.92:
            assert 0 <= pic.acknowledge() <= 0xFF
        elif r < 0.97:
            size = rng.choice((1, 2, 4))
            if rng.random() < 0.5:
                bus.write(port, size, rng.randrange(1 << (8 * size)))
            else:
                bus.read(port, size)
        else:
            pic.io_write(port, 1, rng.randrange(-1000, 1 << 20))
        if i % 2000 == 0:
            clone = DualPIC()
            clone.load_state(pic.save_state())
            assert clone.save_state() == pic.save_state() and clone.intr == pic.intr
        assert isinstance(pic.intr, bool)
