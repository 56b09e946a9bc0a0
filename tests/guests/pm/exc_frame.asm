; The frame of a fault at CPL 3 with an error code on the CPL-0 stack: error code, EIP,
; CS, EFLAGS, ESP, SS (SDM 6.12.1, Figure 6-4); and without a privilege change.
    GATE 13, 0x08, frame_h, 0x8E00
    GATE 14, 0x08, frame_h, 0x8E00
    RING3
    mov esp, 0x6FF00
    push 0x3802                              ; OF (IOPL 3 stays)
    popfd
    mov ebx, frame_at1
    mov dword ptr [V_TMP], frame_r1
    mov eax, 0x10
frame_at1:
    mov ds, eax                              ; #GP(10h)
frame_r1:
    RING0
    PAGING
    mov dword ptr [PT0+0x30*4], 0
    RING3
    mov esp, 0x6FE00
    mov ebx, frame_at2
    mov dword ptr [V_TMP], frame_r2
frame_at2:
    mov dword ptr [0x30004], eax             ; #PF(6)
frame_r2:
    RING0
    mov esp, 0x7F000
    mov ebx, frame_at3
    mov dword ptr [V_TMP], frame_r3
    push 0x82
    popfd
frame_at3:
    mov dword ptr [0x30008], eax             ; #PF(2), no stack switch
frame_r3:
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    EXIT
frame_h:
    mov eax, dword ptr [esp+4]
    sub eax, ebx
    HEX4 [esp]
    HEX eax                                  ; 0: EIP of the faulting instruction
    HEX4 [esp+8]
    HEX [esp+12]
    mov eax, cs
    cmp word ptr [esp+8], ax
    je frame_same
    HEX [esp+16]
    HEX4 [esp+20]
frame_same:
    mov eax, esp
    HEX eax
    mov eax, cr2
    HEX eax
    NL
    add esp, 4
    mov eax, dword ptr [V_TMP]
    mov dword ptr [esp], eax
    iretd
