; Virtual-8086 mode with IOPL 0: CLI, STI, PUSHF, POPF, INT n and IRET are #GP(0); IN and
; OUT use only the I/O bitmap; HLT is #GP(0) (SDM 20.2.7, 20.2.8.1).
    GATE 13, 0x08, v86_gp, 0x8E00
    and byte ptr [IOMAP+0x10], 0xFE          ; port 80h allowed
    mov eax, v86_cli - 0xF0000
    call enter_v86
    mov eax, v86_sti - 0xF0000
    call enter_v86
    mov eax, v86_pushf - 0xF0000
    call enter_v86
    mov eax, v86_popf - 0xF0000
    call enter_v86
    mov eax, v86_int - 0xF0000
    call enter_v86
    mov eax, v86_iret - 0xF0000
    call enter_v86
    mov eax, v86_io - 0xF0000
    call enter_v86
    mov eax, v86_io2 - 0xF0000
    call enter_v86
    EXIT
enter_v86:                                   ; EAX: IP in segment F000h
    pop ecx
    mov dword ptr [V_CONT], ecx
    mov dword ptr [V_SAVED_ESP], esp
    mov dword ptr [V_TMP], eax
    push 0
    push 0
    push 0
    push 0
    push 0x6000
    push 0x0FF0
    push 0x20002                             ; VM, IOPL 0
    push 0xF000
    push eax
    iretd
v86_gp:
    PUSH_SEG ds, 0x10
    PUSH_SEG es, 0x10
    SAY "#GP "
    HEX4 [esp]
    HEX4 [esp+8]
    mov eax, dword ptr [esp+4]
    sub eax, dword ptr [V_TMP]
    HEX eax                                  ; the faulting IP from the entry IP
    HEX [esp+12]
    NL
    mov esp, dword ptr [V_SAVED_ESP]
    jmp dword ptr [V_CONT]
v86_cli:
    B16 cli
v86_sti:
    B16 sti
v86_pushf:
    B16 pushf
v86_popf:
    B16 popf
v86_int:
    B16 int 0x31
v86_iret:
    B16 iret
v86_io:
    B16 in al, 0x80
    B16 out 0x80, al
    B16 mov dx, 0x80
    B16 out dx, ax                           ; 80h-81h: 81h denied
v86_io2:
    B16 hlt
