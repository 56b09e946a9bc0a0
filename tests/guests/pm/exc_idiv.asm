; IDIV overflow: -2^63 / -1 does not fit in 32 bits: #DE (Vol. 2 IDIV).
; (QEMU 7.2 dies of a host SIGFPE here: see QEMU_DIFFERS.)
    mov eax, 0
    mov edx, 0x80000000
    mov ecx, 0xFFFFFFFF
    FAULT idiv ecx
    mov eax, 0xFFFF8000
    mov edx, 0xFFFFFFFF
    mov ecx, 0xFFFFFFFF
    FAULT idiv ecx                           ; -32768 / -1 = 32768 fits: no fault
    HEX eax
    HEX edx
    NL
