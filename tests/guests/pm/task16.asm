; A CALL to a 16-bit TSS (type 1) and IRET back (SDM 7.6, Figure 7-11).
    DESC 0x58, TSS4, 0x2B, 0x81, 0           ; available 16-bit TSS
    DESC 0x60, 0xF0000, 0xFFFF, 0x9B, 0x4    ; 32-bit code at F0000h: IP = offset
    DESC 0x68, 0x50000, 0xFFFF, 0x93, 0x0    ; a 16-bit stack (B=0) at 50000h
    mov word ptr [TSS4+0x0E], task16 - 0xF0000   ; IP
    mov word ptr [TSS4+0x10], 0x0002 + 0x80  ; FLAGS: SF
    mov word ptr [TSS4+0x12], 0x5678         ; AX
    mov word ptr [TSS4+0x1A], 0xFF00         ; SP
    mov word ptr [TSS4+0x22], 0x10           ; ES
    mov word ptr [TSS4+0x24], 0x60           ; CS
    mov word ptr [TSS4+0x26], 0x68           ; SS
    mov word ptr [TSS4+0x28], 0x10           ; DS
    mov eax, 0x11112222
    CALLF 0x58, 0
    mov ecx, [GDT+0x5C]
    shr ecx, 8
    HEX2 ecx                                 ; 81h again
    mov ecx, eax
    HEX ecx
    HEX4 [TSS4+0x12]                         ; AX as saved in the 16-bit TSS
    mov ecx, [TSS4+0x0E]
    and ecx, 0xFFFF
    add ecx, 0xF0000
    sub ecx, task16_after
    HEX ecx                                  ; the saved IP: 0
    NL
    clts
    EXIT
task16:
    str ecx
    HEX4 ecx
    HEX4 eax
    pushfd
    pop ecx
    HEX4 ecx                                 ; SF and NT
    HEX4 [TSS4]                              ; back link
    mov ecx, [GDT+0x5C]
    shr ecx, 8
    HEX2 ecx                                 ; 83h: busy 16-bit TSS
    mov ecx, cs
    HEX4 ecx
    mov ecx, esp
    HEX4 ecx
    NL
    mov eax, 0x9ABC
    iretd
task16_after:
    jmp task16
