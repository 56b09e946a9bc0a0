; Expand-down data segments: valid offsets are limit+1 .. FFFFh (B=0) or FFFFFFFFh (B=1)
; (SDM 3.4.5.1, 5.3).
    DESC 0x40, DATA, 0x0FFF, 0x97, 0x0       ; expand-down, B=0, byte granular
    DESC 0x48, DATA, 0x0FFF, 0x97, 0x4       ; expand-down, B=1
    DESC 0x50, 0, 0xFFFFE, 0x97, 0xC         ; expand-down, B=1, G=1: limit FFFFEFFFh
    mov eax, 0x40
    mov es, eax
    mov eax, 0x48
    mov fs, eax
    mov eax, 0x50
    mov gs, eax
    SAY "b0\n"
    FAULT mov al, byte ptr es:[0x1000]
    FAULT mov al, byte ptr es:[0xFFF]
    FAULT mov al, byte ptr es:[0]
    FAULT mov al, byte ptr es:[0xFFFF]
    FAULT mov ax, word ptr es:[0xFFFF]
    FAULT mov al, byte ptr es:[0x10000]
    SAY "b1\n"
    FAULT mov al, byte ptr fs:[0x1000]
    FAULT mov al, byte ptr fs:[0xFFF]
    FAULT mov al, byte ptr fs:[0x10000]
    FAULT mov eax, dword ptr fs:[0xFFFFFFFC]
    FAULT mov eax, dword ptr fs:[0xFFFFFFFD]
    SAY "g1\n"
    FAULT mov al, byte ptr gs:[0xFFFFEFFF]
    FAULT mov al, byte ptr gs:[0xFFFFFFF0]   ; the reset vector's far jump in the ROM
    HEX2 eax
    NL
    SAY "stack\n"
    mov eax, 0x10
    mov es, eax
    mov fs, eax
    mov gs, eax
    DESC 0x58, DATA, 0x0FFF, 0xF7, 0x4       ; expand-down, B=1, DPL 3: a CPL-3 stack
    RING3                                    ; (the handler then runs on the ring-0 stack)
    mov dword ptr [V_EXPECT], sd_fault       ; (by hand: FAULT writes through SS)
    mov dword ptr [V_NEXT], sd_next
    mov dword ptr [V_RECOVER], sd_recover
    mov eax, 0x5B
    mov ss, eax
    mov esp, 0x1004
    push eax                                 ; 1000h..1003h: fine
sd_fault:
    push eax                                 ; 0FFCh: below the limit, #SS(0)
sd_next:
    call no_fault
sd_recover:
    mov ecx, esp
    RING0
    HEX ecx
    NL
