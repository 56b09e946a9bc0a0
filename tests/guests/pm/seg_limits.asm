; Limit checks: byte and page granularity, multi-byte accesses, stack limits (SDM 5.3).
    DESC 0x40, DATA, 0xFFF, 0x93, 0x4        ; 4 KiB, byte granular
    DESC 0x48, DATA, 0x0, 0x93, 0xC          ; G=1, limit 0: 4 KiB
    DESC 0x50, 0, 0x7FFF, 0x93, 0x4          ; a stack of 32 KiB (ESP may not go above)
    mov eax, 0x40
    mov es, eax
    mov eax, 0x48
    mov fs, eax
    FAULT mov al, byte ptr es:[0xFFF]
    FAULT mov eax, dword ptr es:[0xFFC]
    FAULT mov eax, dword ptr es:[0xFFD]     ; last byte beyond the limit: #GP(0)
    FAULT mov ax, word ptr es:[0xFFF]
    FAULT mov al, byte ptr es:[0x1000]
    FAULT mov al, byte ptr es:[0xFFFFFFFF]
    FAULT mov eax, dword ptr fs:[0xFFC]
    FAULT mov eax, dword ptr fs:[0xFFE]
    FAULT mov al, byte ptr fs:[0x1000]
    SAY "stack\n"
    mov ebx, esp
    mov eax, 0x50
    mov ss, eax
    mov esp, 0x7000
    FAULT push eax
    mov esp, 0x8000
    FAULT pop eax                            ; reads 8000h: beyond the limit, #SS(0)
    mov esp, 0x7FFE
    FAULT pop eax
    xor ebp, ebp
    FAULT mov eax, dword ptr [ebp+0x9000]    ; EBP-based: SS segment
    mov esp, 0x7FFC
    FAULT pop eax
    mov ecx, esp
    HEX ecx
    NL
    mov eax, 0x10
    mov ss, eax
    mov esp, ebx
    mov es, eax
    mov fs, eax
