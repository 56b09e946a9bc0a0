; Faults before a task switch: TSS limit too small #TS, not present #NP, busy #GP,
; a task gate to a non-TSS #GP (SDM 7.3 step 2-4, Table 7-1).
    DESC 0x40, TSS2, 0x60, 0x89, 0           ; limit < 67h
    DESC 0x48, TSS2, 0x67, 0x09, 0           ; not present
    DESC 0x50, TSS2, 0x67, 0x8B, 0           ; busy
    GATEAT GDT+0x58, 0x10, 0, 0x8500         ; task gate to a data segment
    GATEAT GDT+0x60, 0x40, 0, 0x8500         ; task gate to the short TSS
    DESC 0x68, TSS2, 0x67, 0xA9, 0           ; DPL 1
    FAULT JMPF 0x40, 0
    FAULT JMPF 0x48, 0
    FAULT JMPF 0x50, 0
    FAULT CALLF 0x50, 0
    FAULT JMPF 0x58, 0
    FAULT CALLF 0x60, 0
    FAULT JMPF 0x6B, 0                       ; RPL 3 > DPL 1: #GP(68h)
    str eax
    HEX4 eax
    NL
