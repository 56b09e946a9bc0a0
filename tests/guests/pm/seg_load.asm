; Segment register loads that fault, with their error codes (SDM 5.5, 5.10; MOV in Vol. 2).
    DESC 0x40, 0, 0xFFFFF, 0x98, 0xC        ; execute-only code
    DESC 0x48, 0, 0xFFFFF, 0x9A, 0xC        ; readable code
    DESC 0x50, 0, 0xFFFFF, 0x13, 0xC        ; data, not present
    DESC 0x58, 0, 0xFFFFF, 0x91, 0xC        ; read-only data
    DESC 0x60, 0, 0xFFFFF, 0xB3, 0xC        ; DPL 1 data
    DESC 0x68, 0, 0xFFFFF, 0x9E, 0xC        ; conforming readable code, DPL 0
    DESC 0x70, 0, 0xFFFFF, 0xF1, 0xC        ; read-only data, DPL 3
    SAY "ds\n"
    mov eax, 0x40
    FAULT mov ds, eax                       ; execute-only code: #GP(sel)
    mov eax, 0x48
    FAULT mov ds, eax                       ; readable code: fine
    mov eax, 0x53
    FAULT mov es, eax                       ; RPL 3 > DPL 0: #GP(sel) before presence
    mov eax, 0x50
    FAULT mov es, eax                       ; not present: #NP(sel)
    mov eax, 0x3F8
    FAULT mov fs, eax                       ; index within the limit, a zero descriptor
    mov eax, 0x400
    FAULT mov gs, eax                       ; beyond the GDT limit: #GP(sel)
    mov eax, 0x28
    FAULT mov ds, eax                       ; a system descriptor (TSS): #GP(sel)
    mov eax, 0x3
    FAULT mov fs, eax                       ; null with RPL 3: fine
    SAY "ss\n"
    mov eax, 0
    FAULT mov ss, eax                       ; null SS: #GP(0)
    mov eax, 0x13
    FAULT mov ss, eax                       ; RPL != CPL: #GP(sel)
    mov eax, 0x58
    FAULT mov ss, eax                       ; read-only: #GP(sel)
    mov eax, 0x48
    FAULT mov ss, eax                       ; code: #GP(sel)
    mov eax, 0x60
    FAULT mov ss, eax                       ; DPL 1 != CPL 0: #GP(sel)
    mov eax, 0x50
    FAULT mov ss, eax                       ; not present: #SS(sel)
    SAY "cpl3\n"
    RING3
    mov eax, 0x10
    FAULT mov ds, eax                       ; DPL 0 data at CPL 3: #GP(sel)
    mov eax, 0x61
    FAULT mov ds, eax                       ; DPL 1 data, RPL 1, CPL 3: #GP(sel)
    mov eax, 0x68
    FAULT mov es, eax                       ; conforming readable code: fine at any CPL
    mov eax, 0x73
    FAULT mov fs, eax                       ; DPL 3 read-only data: fine
    mov eax, 0x73
    FAULT mov ss, eax                       ; but not for SS: #GP(sel)
    mov eax, 0x20
    FAULT mov ss, eax                       ; RPL 0 != CPL 3: #GP(sel)
    RING0
