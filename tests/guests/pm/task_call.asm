; CALL through a task gate, INT through an IDT task gate, IRET with NT back; the
; back link, NT and busy bits (SDM 7.3, 7.4).
    DESC 0x48, TSS3, 0x67, 0x89, 0
    GATEAT GDT+0x50, 0x48, 0, 0xE500         ; task gate, DPL 3
    GATE 0x40, 0x48, 0, 0x8500               ; IDT task gate
    mov dword ptr [TSS3+0x20], task3
    mov dword ptr [TSS3+0x24], 0x00000002
    mov dword ptr [TSS3+0x38], 0x60000
    mov dword ptr [TSS3+0x4C], 0x08
    mov dword ptr [TSS3+0x50], 0x10
    mov dword ptr [TSS3+0x54], 0x10
    mov dword ptr [TSS3+0x48], 0x10
    mov dword ptr [TSS3+0x58], 0x10
    mov dword ptr [TSS3+0x5C], 0x10
    mov ebx, 1
    push 0x2 + 0x80                          ; SF
    popfd
    CALLF 0x50, 0
    call show
    mov ebx, 2
    push 0x2 + 0x1                           ; CF
    popfd
    int 0x40
    call show
    EXIT
show:
    pushfd
    pop ecx
    HEX ecx                                  ; NT clear again
    mov ecx, [GDT+0x2C]
    shr ecx, 8
    HEX2 ecx
    mov ecx, [GDT+0x4C]
    shr ecx, 8
    HEX2 ecx                                 ; 89h: IRET cleared the busy bit
    HEX ebx
    NL
    clts
    ret
task3:
    HEX ebx
    str ecx
    HEX4 ecx
    pushfd
    pop ecx
    and ecx, 0x4000
    HEX ecx                                  ; NT set
    HEX4 [TSS3]                              ; back link: 28h
    mov ecx, [GDT+0x2C]
    shr ecx, 8
    HEX2 ecx                                 ; 8Bh: the caller stays busy
    mov ecx, [GDT+0x4C]
    shr ecx, 8
    HEX2 ecx
    NL
    SAY "nested\n"
    FAULT CALLF 0x28, 0                      ; the caller is busy: #GP(28h)
    add ebx, 0x10
    iretd
    jmp task3
