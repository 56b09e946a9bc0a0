; Hardware interrupts in protected mode: the 8259A's vector through the IDT, at CPL 0
; after HLT and at CPL 3 with a stack switch; a not-present gate for a hardware
; interrupt is #NP(vector*8+2+EXT) (SDM 6.3.1, 6.12.1, 6.13).
    GATE 0x20, 0x08, irq0, 0x8E00
    mov al, 0x11                             ; ICW1: edge, cascade, ICW4
    out 0x20, al
    mov al, 0x20                             ; ICW2: IRQ0-7 at vectors 20h-27h
    out 0x21, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x01                             ; ICW4: 8086 mode
    out 0x21, al
    mov al, 0xFE                             ; only IRQ0
    out 0x21, al
    mov al, 0x34                             ; PIT counter 0, mode 2, 1193 counts (1 kHz)
    out 0x43, al
    mov al, 0xA9
    out 0x40, al
    mov al, 0x04
    out 0x40, al
    mov dword ptr [DATA], 0
    sti
    hlt                                      ; woken by IRQ0
    cli
    HEX [DATA]
    HEX4 [DATA+4]                            ; CS the interrupt saw
    NL
    RING3
    push 0x3202                              ; IF at CPL 3 (IOPL 3)
    popfd
irq_wait3:
    cmp dword ptr [DATA], 2
    jb irq_wait3
    cli
    RING0
    HEX [DATA]
    HEX4 [DATA+4]
    HEX [DATA+8]                             ; ESP in the handler: on the CPL-0 stack
    NL
    SAY "np\n"
    GATE 0x20, 0x08, irq0, 0x0E00            ; the gate not present
    mov dword ptr [V_EXPECT], irq_np_wait    ; the interrupted instruction
    mov dword ptr [V_NEXT], 0
    mov dword ptr [V_RECOVER], irq_np_done
    sti
irq_np_wait:
    jmp irq_np_wait
irq_np_done:
    cli
    EXIT
irq0:
    push eax
    inc dword ptr [DATA]
    mov eax, dword ptr [esp+8]
    mov dword ptr [DATA+4], eax
    mov dword ptr [DATA+8], esp
    mov al, 0x20                             ; EOI
    out 0x20, al
    pop eax
    iretd
