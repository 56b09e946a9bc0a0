; CR4.VME with IOPL 0: INT n redirected through the TSS interrupt redirection bitmap to
; the real-mode IVT, IRET, CLI/STI on VIF, PUSHF with IOPL 3 and IF = VIF; a vector
; whose bit is set is #GP(0) (SDM 20.3.3.5 [method 5], 20.4, Vol. 2 INT n, PUSHF).
; QEMU 7.2's TCG has no VME: the expected report follows the SDM (see QEMU_DIFFERS).
    GATE 13, 0x08, v86_gp, 0x8E00
    mov word ptr [TSS+0x66], 0x88            ; I/O bitmap at 88h; redirection bitmap 68h-87h
    mov dword ptr [TSS+0x68], 0xFFFFFFFF     ; vectors 0-1Fh: not redirected
    mov dword ptr [TSS+0x6C], 0xFFFDFFFF     ; 20h-3Fh: 31h redirected, 32h not
    mov eax, v86_isr - 0xF0000
    mov word ptr [0x31*4], ax                ; IVT entry 31h: F000:v86_isr
    mov word ptr [0x31*4+2], 0xF000
    mov eax, cr4
    or eax, 1
    mov cr4, eax
    mov dword ptr [V_SAVED_ESP], esp
    push 0
    push 0
    push 0
    push 0
    push 0x6000                              ; SS
    push 0x0FF0                              ; ESP
    push 0x20002                             ; VM, IOPL 0, VIF 0
    push 0xF000
    mov eax, v86_code - 0xF0000
    push eax
    iretd
v86_code:
    B16 mov ax, 0x1111
    B16 int 0x31
    B16 cli
    B16 pushf
    B16 sti
    B16 pushf
    B16 int 0x32
v86_isr:
    B16 mov bp, sp
    B16 mov bx, word ptr [bp+4]              ; the FLAGS image INT 31h pushed
    B16 mov word ptr [0x500], bx
    B16 mov ax, 0x4242
    B16 iret
v86_gp:
    PUSH_SEG ds, 0x10
    PUSH_SEG es, 0x10
    HEX4 eax                                 ; 4242h: the ISR ran
    SAY "#GP "
    HEX4 [esp]
    HEX4 [esp+8]
    mov eax, dword ptr [esp+4]
    sub eax, v86_code - 0xF0000
    HEX eax                                  ; the INT 32h at offset 9
    HEX [esp+12]                             ; VM and VIF
    HEX [esp+16]                             ; SP
    NL
    HEX4 [0x500]                             ; INT 31h pushed IOPL 3, IF (= VIF) 0
    HEX4 [0x60FEE]                           ; PUSHF after CLI: the same
    HEX4 [0x60FEC]                           ; after STI: IF 1
    NL
    mov esp, dword ptr [V_SAVED_ESP]
    mov eax, 0
    mov cr4, eax
