; IRET to an outer ring nulls DS, ES, FS, GS holding data or non-conforming code segments
; with DPL < CPL; conforming code and DPL-3 data stay (SDM 5.8.6, IRET in Vol. 2).
    DESC 0x48, 0, 0xFFFFF, 0x9E, 0xC         ; conforming readable code, DPL 0
    DESC 0x50, 0, 0xFFFFF, 0x9A, 0xC         ; readable code, DPL 0
    mov eax, 0x10
    mov ds, eax
    mov eax, 0x23
    mov es, eax
    mov eax, 0x48
    mov fs, eax
    mov eax, 0x50
    mov gs, eax
    mov dword ptr ss:[V_SAVED_ESP], esp
    push 0x23
    push STACK3
    push 0x3002
    push 0x1B
    push ring3_here
    iretd
ring3_here:
    mov eax, ds
    HEX4 eax
    mov eax, es
    HEX4 eax
    mov eax, fs
    HEX4 eax
    mov eax, gs
    HEX4 eax
    mov eax, ss
    HEX4 eax
    mov eax, esp
    HEX eax
    pushfd
    pop eax
    HEX eax
    NL
    mov eax, 0x23
    mov ds, eax
    RING0
