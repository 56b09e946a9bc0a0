; VERR, VERW (Vol. 2) and ARPL.
    DESC 0x40, 0, 0xFFFFF, 0x98, 0xC         ; execute-only code
    DESC 0x48, 0, 0xFFFFF, 0x9A, 0xC         ; readable code
    DESC 0x50, 0, 0xFFFFF, 0x90, 0xC         ; read-only data
    DESC 0x58, 0, 0xFFFFF, 0x9E, 0xC         ; conforming readable code, DPL 0
    DESC 0x60, 0, 0xFFFFF, 0x9C, 0xC         ; conforming execute-only code
    DESC 0x68, 0, 0xFFFFF, 0x12, 0xC         ; data, not present
    DESC 0x70, 0, 0xFFFFF, 0xF2, 0xC         ; DPL 3 data
    mov ebx, 0x10
    call vprobe
    mov ebx, 0x40
    call vprobe
    mov ebx, 0x48
    call vprobe
    mov ebx, 0x50
    call vprobe
    mov ebx, 0x58
    call vprobe
    mov ebx, 0x60
    call vprobe
    mov ebx, 0x68
    call vprobe
    mov ebx, 0x28
    call vprobe
    mov ebx, 0
    call vprobe
    mov ebx, 0x400
    call vprobe
    mov ebx, 0x13                            ; RPL 3 > DPL 0
    call vprobe
    SAY "cpl3\n"
    RING3
    mov ebx, 0x10
    call vprobe
    mov ebx, 0x73
    call vprobe
    mov ebx, 0x5B
    call vprobe
    RING0
    SAY "arpl\n"
    mov eax, 0x1230
    mov ebx, 0x0003
    arpl ax, bx
    ZF
    HEX4 eax
    mov eax, 0x1232
    mov ebx, 0x0001
    arpl ax, bx
    ZF
    HEX4 eax
    mov eax, 0xABCD1231
    mov ebx, 0xFFFF0001
    arpl ax, bx
    ZF
    HEX eax
    mov word ptr [DATA], 0x0008
    mov ebx, 0x0002
    arpl word ptr [DATA], bx
    ZF
    HEX4 [DATA]
    NL
    EXIT
vprobe:
    HEX4 ebx
    verr bx
    ZF
    verw bx
    ZF
    NL
    ret
