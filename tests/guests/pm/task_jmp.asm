; JMP to a TSS descriptor: state saved in the old TSS, loaded from the new one; the old
; TSS's busy bit is cleared, the new one's set, no back link, CR0.TS set (SDM 7.3).
    DESC 0x40, TSS2, 0x67, 0x89, 0
    mov dword ptr [TSS2+0x20], task2
    mov dword ptr [TSS2+0x24], 0x00000002 + 0x800 + 1   ; OF, CF
    mov dword ptr [TSS2+0x28], 0x1234
    mov dword ptr [TSS2+0x2C], 0x5678
    mov dword ptr [TSS2+0x38], 0x60000
    mov dword ptr [TSS2+0x4C], 0x08
    mov dword ptr [TSS2+0x50], 0x10
    mov dword ptr [TSS2+0x54], 0x10
    mov dword ptr [TSS2+0x48], 0x23
    mov dword ptr [TSS2+0x58], 0x10
    mov dword ptr [TSS2+0x5C], 0x10
    mov eax, 0xAAAA
    mov esi, 0x5151
    push 0x82                                ; SF: a known EFLAGS to be saved
    popfd
    JMPF 0x40, 0
back_from_task:
    mov ecx, cr0
    and ecx, 8
    HEX ecx
    mov ecx, eax
    HEX ecx                                  ; EAX as saved in the main TSS
    HEX esi
    str ecx
    HEX4 ecx
    mov ecx, [GDT+0x2C]
    shr ecx, 8
    HEX2 ecx
    mov ecx, [GDT+0x44]
    shr ecx, 8
    HEX2 ecx
    mov ecx, [TSS2+0x20]
    sub ecx, task2_after
    HEX ecx                                  ; task 2's EIP was saved: 0
    HEX [TSS2+0x28]                          ; and its EAX
    NL
    clts
    EXIT
task2:
    str ecx
    HEX4 ecx
    HEX eax
    pushfd
    pop ecx
    HEX ecx                                  ; EFLAGS from the TSS; NT clear
    mov ecx, esp
    HEX ecx
    mov ecx, es
    HEX4 ecx
    mov ecx, cr0
    and ecx, 8
    HEX ecx                                  ; CR0.TS
    NL
    mov ecx, [GDT+0x2C]
    shr ecx, 8
    HEX2 ecx                                 ; 89h: not busy any more
    mov ecx, [GDT+0x44]
    shr ecx, 8
    HEX2 ecx                                 ; 8Bh
    HEX4 [TSS2]                              ; no back link
    mov ecx, [TSS+0x20]
    sub ecx, back_from_task
    HEX ecx                                  ; the main task's EIP: 0
    HEX [TSS+0x28]                           ; its EAX
    HEX [TSS+0x40]                           ; ESI
    mov ecx, [TSS+0x24]
    HEX ecx                                  ; EFLAGS
    NL
    mov eax, 0xBBBB
    JMPF 0x28, 0
task2_after:
    jmp task2
