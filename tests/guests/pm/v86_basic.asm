; Virtual-8086 mode entered by IRETD with VM=1: segment*16 addressing; INT n with
; IOPL 3 through a DPL-3 32-bit interrupt gate to CPL 0, whose stack frame holds GS,
; FS, DS, ES, SS, ESP, EFLAGS, CS, EIP; DS-GS are null in the handler (SDM 20.2, 20.3.1.1).
    GATE 0x31, 0x08, v86_int, 0xEE00
    mov dword ptr [0x60FF0], 0
    mov dword ptr [V_SAVED_ESP], esp
    push 0x0                                 ; GS
    push 0x4000                              ; FS
    push 0x2000                              ; DS
    push 0x3000                              ; ES
    push 0x6000                              ; SS
    push 0x0FF0                              ; ESP
    push 0x23002                             ; EFLAGS: VM, IOPL 3
    push 0xF000                              ; CS
    mov eax, v86_code - 0xF0000
    push eax                                 ; EIP
    iretd
v86_code:
    B16 mov ax, 0x1234
    B16 mov word ptr [0x10], ax
    B16 mov bx, 0x5678
    B16 mov word ptr es:[0x20], bx
    B16 push ax
    B16 mov word ptr fs:[0x0], sp
    B16 mov ax, ds
    B16 mov ds, bx
    B16 mov word ptr ds:[0x0], ax            ; 56780h
    B16 pushfd
    B16 pop ecx
    B16 int 0x31
v86_after:
    B16 hlt
v86_int:
    mov dword ptr ss:[V_TMP], 0
    mov word ptr ss:[V_TMP], ds              ; null after the switch
    PUSH_SEG ds, 0x10
    PUSH_SEG es, 0x10
    mov eax, dword ptr [esp]
    sub eax, v86_after - 0xF0000
    HEX eax                                  ; EIP: after INT 31h
    HEX [esp+4]
    HEX [esp+8]                              ; EFLAGS with VM
    HEX [esp+12]
    HEX [esp+16]
    HEX [esp+20]
    HEX [esp+24]
    HEX [esp+28]
    HEX [esp+32]
    NL
    HEX4 [V_TMP]
    mov eax, esp
    HEX eax
    pushfd
    pop eax
    HEX eax                                  ; VM clear in the handler
    HEX ecx                                  ; EFLAGS as PUSHFD saw it in V86: VM hidden
    NL
    HEX4 [0x20010]
    HEX4 [0x30020]
    HEX4 [0x60FEE]
    HEX4 [0x40000]
    HEX4 [0x56780]
    NL
    mov esp, dword ptr [V_SAVED_ESP]
