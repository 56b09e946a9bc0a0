; LAR and LSL over descriptor types, privilege and limits (Vol. 2 LAR, LSL; SDM 5.10.1).
; Each line: ZF and LAR result (masked 00F0FF00h; the register unchanged when ZF=0),
; ZF and LSL result.
    DESC 0x40, 0, 0xFFFFF, 0x9A, 0xC         ; readable code, G=1
    DESC 0x48, 0, 0x12345, 0xF2, 0x4         ; DPL 3 data, byte granular
    DESC 0x50, LDT, 0x0F, 0x82, 0            ; LDT
    DESC 0x58, TSS2, 0x67, 0x89, 0           ; available 32-bit TSS
    GATEAT GDT+0x60, 0x08, lar_target, 0x8C02   ; 32-bit call gate
    GATEAT GDT+0x68, 0x58, 0, 0x8500            ; task gate
    GATEAT GDT+0x70, 0x08, lar_target, 0x8E00  ; interrupt gate: not for LAR
    DESC 0x78, TSS3, 0x2B, 0x81, 0           ; available 16-bit TSS
    DESC 0x80, 0, 0xFFFF, 0x80, 0            ; system type 0
    DESC 0x88, 0, 0xFFFF, 0x12, 0x4          ; data, not present
    DESC 0x90, 0, 0xFFFFF, 0x9E, 0xC         ; conforming code, DPL 0
    DESC 0x98, 0, 0x0FFF, 0x9A, 0xC          ; G=1 limit FFFh: FFFFFFh
    DESC 0xA0, 0, 0xFFFF, 0x84, 0            ; 16-bit call gate
    mov ebx, 0x40
    call probe
    mov ebx, 0x4B
    call probe
    mov ebx, 0x50
    call probe
    mov ebx, 0x58
    call probe
    mov ebx, 0x28                            ; busy TSS
    call probe
    mov ebx, 0x60
    call probe
    mov ebx, 0x68
    call probe
    mov ebx, 0x70
    call probe
    mov ebx, 0x78
    call probe
    mov ebx, 0x80
    call probe
    mov ebx, 0x88
    call probe
    mov ebx, 0x98
    call probe
    mov ebx, 0xA0
    call probe
    mov ebx, 0
    call probe
    mov ebx, 0x400                           ; beyond the GDT limit
    call probe
    mov ebx, 0x43                            ; RPL 3 > DPL 0
    call probe
    mov ebx, 0x93                            ; conforming: no privilege check
    call probe
    SAY "cpl3\n"
    RING3
    mov ebx, 0x10
    call probe
    mov ebx, 0x4B
    call probe
    mov ebx, 0x90
    call probe
    RING0
    EXIT
probe:
    HEX4 ebx
    mov eax, 0x11111111
    lar eax, ebx
    ZF
    jnz probe_lar_bad
    and eax, 0x00F0FF00
probe_lar_bad:
    HEX eax
    mov eax, 0x22222222
    lsl eax, ebx
    ZF
    HEX eax
    NL
    ret
lar_target:
    ret
