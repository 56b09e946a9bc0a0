; Type checks on accesses: read-only data, execute-only and readable code through a CS
; override, conforming code entered from CPL 3 (SDM 3.4.5.1, 5.4, 5.8.1.2).
    DESC 0x40, DATA, 0xFFFF, 0x91, 0x4       ; read-only data
    DESC 0x48, 0, 0xFFFFF, 0x98, 0xC         ; execute-only code (flat)
    DESC 0x50, 0, 0xFFFFF, 0x9E, 0xC         ; conforming readable code, DPL 0
    mov eax, 0x40
    mov es, eax
    FAULT mov eax, dword ptr es:[0]
    FAULT mov dword ptr es:[0], eax          ; write to read-only: #GP(0)
    FAULT inc byte ptr es:[4]
    JMPF 0x48, xo_code
xo_code:
    SAY "xo\n"
    FAULT mov eax, dword ptr cs:[0xFFFF0]    ; read from execute-only: #GP(0)
    JMPF 0x08, ro_back
ro_back:
    FAULT mov eax, dword ptr cs:[0xFFFF0]    ; readable code: fine
    FAULT mov dword ptr cs:[DATA], eax       ; write through CS: #GP(0)
    mov eax, 0x10
    mov es, eax
    SAY "conforming\n"
    RING3
    CALLF 0x50, conf_code                    ; CPL stays 3: CS.RPL = 3
    mov eax, cs
    HEX4 eax
    RING0
    NL
    EXIT
conf_code:
    mov eax, cs
    HEX4 eax
    mov eax, dword ptr [esp+4]               ; the caller's CS on the same stack
    HEX4 eax
    retf
