; pyx86 diagnostics disk, version 2: a 160 KiB floppy (40 cylinders, 1 head, 8 sectors).
;
; Real mode, 16 bit, BIOS services only (INT 10h, 13h, 15h C2xxh, 16h, 1Ah) and I/O ports.
; Menu: 1 CPU speed, 2 video tour, 3 keyboard echo, 4 mouse echo, Q quit.
; The boot sector is loaded at 0000:7C00; it reads the rest of the program,
; sector by sector, from cylinder 0 sector 2 onwards to 0000:7E00 and jumps there.
; build_diag.py assembles the boot sector (origin 7C00h) and the program after the
; "; @@ program" line (origin 7E00h) separately.
;
; Assembled by disk_images/build_diag.py (keystone), which first drops the
; comments (so no string may hold a semicolon) and rewrites four
; pseudo-instructions, because keystone gives near CALL/RET/JMP and far RET a
; 66h prefix in 16-bit mode:
;     CALL16 label   ->  E8 rel16
;     RET16          ->  C3
;     JMP16 label    ->  E9 rel16
;     RETF16         ->  CB
; and replaces the word NSECT with the number of sectors after the boot sector.
; Only short conditional jumps are used.
;
; Port E9h (debug console) protocol of the CPU speed test (menu key 1):
;     BENCH alu start\n   ...   BENCH alu end 3000151\n
;     BENCH mem start\n   ...   BENCH mem end 2400121\n
;     BENCH str start\n   ...   BENCH str end 2460001\n
; and "BENCH quit\n" when the menu's Q ends the program (then OUT F4h with
; AL=0 for QEMU's isa-debug-exit, then CLI; HLT).
; The count of a workload is the number of instructions executed between the
; OUT of the start line's final "\n" and the OUT of the end line's "B"
; (exclusive), counting each iteration of a REP string instruction as one
; instruction (as pyx86 and hardware performance counters retire them).
;
; Video tour (menu key 2): mode 13h, 12h and 04h pictures, then VBE mode 101h (640 x 480,
; 8 bpp, banked): INT 10h AX=4F00h with 'VBE2' at 0:0600h, AX=4F02h BX=0101h, and a
; 16 x 16 grid of the 256 colours (cells of 40 x 30 pixels, colour = row * 16 + column)
; written through the 64 KiB window at A000h, AX=4F05h BX=0 DX=bank switching the
; 5 banks.  A key after each picture, then the menu (mode 3, which turns VBE off).
; If 4F00h or 4F02h does not return AX=004Fh, mode 3 shows the status and a key
; returns to the menu.
;
; Mouse echo (menu key 4), through the PS/2 pointing device services of INT 15h:
; C205h BH=3 (initialise, 3-byte packets), C201h (reset; the device ID is shown),
; C207h ES:BX = mouse_handler, C200h BH=1 (enable).  The BIOS calls the handler
; FAR on IRQ12 for each packet with four words on the stack (from SP+4 at entry:
; 0, Y, X, status, as the IBM PS/2 BIOS reference gives them); it keeps a
; position on a 640 x 400 grid (8 x 16 per text cell, Y growing downwards) and
; the last packet.  The main loop shows them on rows 5-8 and marks the pointer's
; text cell by XORing its attribute with 77h.  Esc: C200h BH=0 (disable), then
; C207h ES:BX = 0:0 (no handler), then the menu.

; --- variables, in the free RAM above the BIOS data area -------------------------------
BOOTDRV = 0x500          ; byte: the boot drive from DL
T0LO = 0x502             ; word: BIOS tick count (low word) before a workload
TICKS = 0x504            ; word: ticks a workload took
CNTLO = 0x506            ; dword: the workload's instruction count
CNTHI = 0x508
NUMEND = 0x51F           ; decimal conversion buffer ends here (its terminating 0)
MX = 0x520               ; word: mouse X, 0-639 (written by mouse_handler)
MY = 0x522               ; word: mouse Y, 0-399, downwards
MDX = 0x524              ; word: the last packet's X movement (signed)
MDY = 0x526              ; word: the last packet's Y movement (signed, up is positive)
MSTAT = 0x528            ; word: the last packet's status byte
MCOUNT = 0x52A           ; word: packets received
MDIRTY = 0x52C           ; byte: 1 when the handler changed the words above
SHX = 0x530              ; the six words MX..MCOUNT as the main loop copied them
SHY = 0x532
SHDX = 0x534
SHDY = 0x536
SHSTAT = 0x538
SHCOUNT = 0x53A
MCELL = 0x53C            ; word: offset of the pointer cell's attribute in B800h, FFFFh none
MSAVED = 0x53E           ; byte: the attribute under the pointer
VBEINFO = 0x600          ; 512 bytes: the VbeInfoBlock of INT 10h AX=4F00h

ALU_COUNT = 3000151      ; 50 * (1 + 6 * 10000 + 2) + 1
MEM_COUNT = 2400121      ; 40 * (1 + 6 * 10000 + 2) + 1
STR_COUNT = 2460001      ; 400 * (3 + 4096 + 1 + 2048 + 2) + 1

; ====================================================================================
; boot sector
; ====================================================================================
boot:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    cld
    ljmp 0:boot_cs0              ; CS = 0 whatever the BIOS used
boot_cs0:
    mov byte ptr [BOOTDRV], dl
    mov bx, 0x7E00               ; destination
    mov cx, 0x0002               ; CH = cylinder 0, CL = sector 2
    xor dh, dh                   ; head 0
    mov si, NSECT                ; sectors to read
boot_sector:
    mov di, 5                    ; tries per sector
boot_try:
    mov ax, 0x0201               ; read one sector to ES:BX
    int 0x13
    jnc boot_read
    xor ax, ax                   ; reset the drive and try again
    int 0x13
    dec di
    jnz boot_try
    mov si, boot_err
boot_err_loop:
    lodsb
    or al, al
    jz boot_halt
    mov ah, 0x0E
    mov bx, 0x0007
    int 0x10
    jmp boot_err_loop
boot_halt:
    cli
    hlt
    jmp boot_halt
boot_read:
    add bx, 512
    inc cl
    cmp cl, 9                    ; 8 sectors per track
    jb boot_next
    mov cl, 1
    inc ch                       ; one head: next cylinder
boot_next:
    dec si
    jnz boot_sector
    ljmp 0:0x7E00                ; the program
boot_err:
    .ascii "diag: disk read error"
    .byte 0
; (build_diag.py pads the boot sector to 510 bytes and adds the 55h AAh signature)

; @@ program: assembled separately, at 7E00h

; ====================================================================================
; main program (at 0000:7E00)
; ====================================================================================
main:
    xor ax, ax
    mov ds, ax
    mov es, ax
    cld
menu:
    mov ax, 0x0003               ; text mode 3
    int 0x10
    CALL16 banner
    mov si, msg_menu
    CALL16 puts
menu_key:
    mov ah, 0x10
    int 0x16
    cmp al, 0x31
    jne menu_not1
    JMP16 cpu_speed
menu_not1:
    cmp al, 0x32
    jne menu_not2
    JMP16 video_tour
menu_not2:
    cmp al, 0x33
    jne menu_not3
    JMP16 key_echo
menu_not3:
    cmp al, 0x34
    jne menu_not4
    JMP16 mouse_echo
menu_not4:
    or al, 0x20                  ; lower case
    cmp al, 0x71
    jne menu_key
    JMP16 quit

; --- banner: a coloured title bar, cursor below it ----------------------------------
banner:
    mov ax, 0x0600               ; clear row 0 to yellow on blue
    mov bh, 0x1E
    xor cx, cx
    mov dx, 0x004F
    int 0x10
    mov ax, 0x0600               ; rows 1-24 to light grey on black
    mov bh, 0x07
    mov cx, 0x0100
    mov dx, 0x184F
    int 0x10
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x001F
    int 0x10
    mov si, msg_banner
    CALL16 puts
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x0200
    int 0x10
    RET16

; --- quit -------------------------------------------------------------------------------
quit:
    mov si, msg_bye
    CALL16 puts
    mov si, e9_quit
    CALL16 e9puts
    xor al, al
    out 0xF4, al                 ; isa-debug-exit, if present
quit_halt:
    cli
    hlt
    jmp quit_halt

; ====================================================================================
; 1: CPU speed
; ====================================================================================
cpu_speed:
    mov si, msg_cpu
    CALL16 puts

    ; --- ALU / register loop -------------------------------------------------------
    mov si, e9_alu
    CALL16 e9puts
    CALL16 tick_start
    mov dx, 50
    mov al, 10
    out 0xE9, al
alu_outer:
    mov cx, 10000
alu_inner:
    add ax, bx
    xor bx, ax
    inc si
    sub di, si
    shl ax, 1
    loop alu_inner
    dec dx
    jnz alu_outer
    mov al, 0x42
    out 0xE9, al
    CALL16 tick_end
    mov ax, ALU_COUNT & 0xFFFF
    mov dx, ALU_COUNT >> 16
    mov si, e9_alu
    CALL16 show_result

    ; --- memory load / store loop --------------------------------------------------
    mov si, e9_mem
    CALL16 e9puts
    CALL16 tick_start
    mov dx, 40
    mov bx, 0x9000
    xor si, si
    mov di, 0x100
    mov al, 10
    out 0xE9, al
mem_outer:
    mov cx, 10000
mem_inner:
    mov ax, [bx+si]
    add [bx+di], ax
    mov [bx+si+2], ax
    inc si
    and si, 0xFF
    loop mem_inner
    dec dx
    jnz mem_outer
    mov al, 0x42
    out 0xE9, al
    CALL16 tick_end
    mov ax, MEM_COUNT & 0xFFFF
    mov dx, MEM_COUNT >> 16
    mov si, e9_mem
    CALL16 show_result

    ; --- REP MOVSB / REP STOSW loop ------------------------------------------------
    mov si, e9_string
    CALL16 e9puts
    CALL16 tick_start
    push es
    mov ax, 0x2000
    mov es, ax
    mov dx, 400
    mov al, 10
    out 0xE9, al
string_outer:
    mov si, 0x9000
    xor di, di
    mov cx, 4096
    rep movsb
    mov cx, 2048
    rep stosw
    dec dx
    jnz string_outer
    mov al, 0x42
    out 0xE9, al
    pop es
    CALL16 tick_end
    mov ax, STR_COUNT & 0xFFFF
    mov dx, STR_COUNT >> 16
    mov si, e9_string
    CALL16 show_result

    mov si, msg_anykey
    CALL16 puts
    mov ah, 0x10
    int 0x16
    JMP16 menu

; tick_start: T0LO = BIOS tick count (low word)
tick_start:
    xor ah, ah
    int 0x1A
    mov word ptr [T0LO], dx
    RET16

; tick_end: TICKS = BIOS tick count - T0LO (low words; a midnight wrap is ignored)
tick_end:
    xor ah, ah
    int 0x1A
    sub dx, word ptr [T0LO]
    mov word ptr [TICKS], dx
    RET16

; show_result: DX:AX = instruction count, SI = the workload's E9h start line ("BENCH xxx start\n").
; Writes "ENCH xxx end <count>\n" to port E9h (the "B" is already out) and a screen line
; "xxx  <count> instructions  <ticks> ticks  <MIPS> MIPS".
show_result:
    mov word ptr [CNTLO], ax
    mov word ptr [CNTHI], dx
    push si
    add si, 1                    ; "ENCH "
    mov cx, 5
    CALL16 e9putn
    pop si
    push si
    add si, 6                    ; the workload's name
    mov cx, 3
    CALL16 e9putn
    mov si, e9_end               ; " end "
    CALL16 e9puts
    mov ax, word ptr [CNTLO]
    mov dx, word ptr [CNTHI]
    CALL16 utoa
    CALL16 e9puts
    mov al, 10
    out 0xE9, al
    ; the screen line
    mov si, msg_indent
    CALL16 puts
    pop si
    add si, 6
    mov cx, 3
    CALL16 putn
    mov si, msg_sep
    CALL16 puts
    mov ax, word ptr [CNTLO]
    mov dx, word ptr [CNTHI]
    CALL16 utoa
    CALL16 puts
    mov si, msg_insns
    CALL16 puts
    mov ax, word ptr [TICKS]
    xor dx, dx
    CALL16 utoa
    CALL16 puts
    mov si, msg_ticks
    CALL16 puts
    mov cx, word ptr [TICKS]
    or cx, cx
    jnz show_mips
    mov si, msg_fast             ; under one tick: no figure
    CALL16 puts
    RET16
show_mips:
    ; MIPS * 10 = count / ticks / 1000 * 182 / 1000   (18.2 ticks per second)
    mov ax, word ptr [CNTLO]
    mov dx, word ptr [CNTHI]
    CALL16 div32                 ; DX:AX = count / ticks
    mov cx, 1000
    CALL16 div32                 ; DX:AX = thousands of instructions per tick
    mov cx, 182
    mul cx                       ; DX:AX = AX * 182 (the quotient fits 16 bits below 360 GIPS)
    mov cx, 1000
    div cx                       ; AX = tenths of MIPS
    xor dx, dx
    mov cx, 10
    div cx                       ; AX = whole MIPS, DX = tenths
    push dx
    xor dx, dx
    CALL16 utoa
    CALL16 puts
    mov al, 0x2E
    CALL16 putc
    pop ax
    add al, 0x30
    CALL16 putc
    mov si, msg_mips
    CALL16 puts
    RET16

; div32: DX:AX = DX:AX / CX (unsigned, 32-bit quotient); BX is lost
div32:
    mov bx, ax
    mov ax, dx
    xor dx, dx
    div cx                       ; AX = high quotient, DX = remainder
    xchg ax, bx
    div cx                       ; AX = low quotient
    mov dx, bx
    RET16

; utoa: SI = the decimal text (0-terminated) of DX:AX; BX, CX, DI lost
utoa:
    mov di, NUMEND
    mov byte ptr [di], 0
utoa_digit:
    mov cx, 10
    mov bx, ax
    mov ax, dx
    xor dx, dx
    div cx                       ; AX = high quotient, DX = remainder
    xchg ax, bx
    div cx                       ; AX = low quotient, DX = the digit
    add dl, 0x30
    dec di
    mov byte ptr [di], dl
    mov dx, bx                   ; DX:AX = the quotient
    mov cx, ax
    or cx, dx
    jnz utoa_digit
    mov si, di
    RET16

; ====================================================================================
; 2: video tour
; ====================================================================================
video_tour:
    ; --- mode 13h: a gradient and the 256-colour palette --------------------------
    mov ax, 0x0013
    int 0x10
    push es
    mov ax, 0xA000
    mov es, ax
    xor di, di
    xor dx, dx                   ; DX = y
v13_row:
    xor bx, bx                   ; BX = x
v13_pixel:
    cmp dx, 50
    jae v13_not_grey
    mov ax, bx                   ; rows 0-49: the 16 greys (colours 16-31)
    mov cl, 20
    div cl
    add al, 16
    jmp v13_put
v13_not_grey:
    cmp dx, 100
    jae v13_palette
    mov ax, bx                   ; rows 50-99: the hue wheel (colours 32-103), x * 72 / 320
    mov cx, 72
    push dx
    mul cx
    mov cx, 320
    div cx
    pop dx
    add al, 32
    jmp v13_put
v13_palette:
    cmp dx, 196
    jae v13_black
    mov ax, dx                   ; rows 100-195: a 16 x 16 grid of all 256 colours
    sub ax, 100
    mov cl, 6
    div cl                       ; AL = grid row
    mov cl, 4
    shl al, cl
    mov ch, al
    mov ax, bx
    mov cl, 20
    div cl                       ; AL = grid column
    add al, ch
    jmp v13_put
v13_black:
    xor al, al
v13_put:
    stosb
    inc bx
    cmp bx, 320
    jb v13_pixel
    inc dx
    cmp dx, 200
    jb v13_row
    pop es
    mov ah, 0x10
    int 0x16

    ; --- mode 12h: concentric rectangles in the 16 colours -------------------------
    mov ax, 0x0012
    int 0x10
    push es
    mov ax, 0xA000
    mov es, ax
    mov dx, 0x3CE
    mov ax, 0x0F01               ; enable set/reset on all planes
    out dx, ax
    mov ax, 0xFF08               ; bit mask: all bits
    out dx, ax
    xor bx, bx                   ; BX = rectangle number = colour
v12_rect:
    mov ah, bl
    xor al, al                   ; set/reset = the colour
    mov dx, 0x3CE
    out dx, ax
    ; rows 15*n .. 479-15*n, bytes 2*n .. 79-2*n
    mov ax, 15
    mul bl
    mov si, ax                   ; SI = top row
v12_row:
    mov ax, 80
    mul si
    mov di, ax
    mov ax, bx
    shl ax, 1
    add di, ax                   ; DI = row * 80 + 2n
    mov cx, 80
    sub cx, ax
    sub cx, ax                   ; CX = 80 - 4n bytes
    rep stosb
    inc si
    mov ax, 15
    mul bl
    mov cx, 480
    sub cx, ax                   ; CX = bottom row + 1
    cmp si, cx
    jb v12_row
    inc bx
    cmp bx, 16
    jb v12_rect
    mov dx, 0x3CE
    mov ax, 0x0001               ; set/reset off again
    out dx, ax
    pop es
    mov ah, 0x10
    int 0x16

    ; --- mode 04h: a CGA pattern ---------------------------------------------------
    mov ax, 0x0004
    int 0x10
    push es
    mov ax, 0xB800
    mov es, ax
    xor di, di                   ; even lines: vertical stripes of colours 0-3
    mov al, 0x1B
    mov cx, 8000
    rep stosb
    mov di, 0x2000               ; odd lines: horizontal bands of solid colours
    xor dx, dx
v04_row:
    mov ax, dx
    mov cl, 3
    shr ax, cl
    and al, 3
    mov ah, 0x55
    mul ah                       ; AL = colour * 55h: four pixels of that colour
    mov cx, 80
    rep stosb
    inc dx
    cmp dx, 100
    jb v04_row
    pop es
    mov ah, 0x10
    int 0x16

    ; --- VBE mode 101h: the 256 colours through the bank window --------------------
    mov di, VBEINFO              ; ES:DI = 0:VBEINFO, 'VBE2' asks for the 512-byte block
    mov word ptr [di], 0x4256
    mov word ptr [di + 2], 0x3245
    mov ax, 0x4F00
    int 0x10
    cmp ax, 0x004F
    jne vbe_fail
    mov ax, 0x4F02               ; mode 101h, banked (bit 14 clear)
    mov bx, 0x0101
    int 0x10
    cmp ax, 0x004F
    jne vbe_fail
    push es
    mov ax, 0xA000
    mov es, ax
    xor bp, bp                   ; BP = bank
    CALL16 vbe_bank
    xor di, di
    xor dx, dx                   ; DX = y
vbe_row:
    mov ax, dx                   ; a 16 x 16 grid of 40 x 30 cells, colour = row * 16 + column
    mov bl, 30
    div bl
    mov bl, 16
    mul bl                       ; AL = the colour of the row's first cell
    mov si, 16                   ; SI = cells left in the row
vbe_cell:
    mov cx, 40
vbe_pixel:
    stosb
    or di, di
    jnz vbe_same_bank
    inc bp                       ; DI wrapped: the next 64 KiB bank
    CALL16 vbe_bank
vbe_same_bank:
    loop vbe_pixel
    inc al
    dec si
    jnz vbe_cell
    inc dx
    cmp dx, 480
    jb vbe_row
    pop es
    mov ah, 0x10
    int 0x16
    JMP16 menu
vbe_fail:                        ; AX = the status
    push ax
    mov ax, 0x0003
    int 0x10
    mov si, msg_vbe_err
    CALL16 puts
    pop ax
    push ax
    mov al, ah
    CALL16 puthex
    pop ax
    CALL16 puthex
    mov si, msg_anykey
    CALL16 puts
    mov ah, 0x10
    int 0x16
    JMP16 menu

; vbe_bank: window A to bank BP (INT 10h AX=4F05h); keeps AX, BX, DX
vbe_bank:
    push ax
    push bx
    push dx
    mov ax, 0x4F05
    xor bx, bx
    mov dx, bp
    int 0x10
    pop dx
    pop bx
    pop ax
    RET16

; ====================================================================================
; 3: keyboard echo
; ====================================================================================
key_echo:
    mov si, msg_keys
    CALL16 puts
key_loop:
    mov ah, 0x10
    int 0x16
    push ax
    mov si, msg_scan
    CALL16 puts
    pop ax
    push ax
    mov al, ah
    CALL16 puthex
    mov si, msg_ascii
    CALL16 puts
    pop ax
    push ax
    CALL16 puthex
    pop ax
    push ax
    cmp al, 0x20
    jb key_no_char
    cmp al, 0x7F
    jae key_no_char
    push ax
    mov al, 0x20
    CALL16 putc
    mov al, 0x27
    CALL16 putc
    pop ax
    CALL16 putc
    mov al, 0x27
    CALL16 putc
key_no_char:
    mov si, msg_crlf
    CALL16 puts
    pop ax
    cmp al, 0x1B
    jne key_loop
    JMP16 menu

; ====================================================================================
; 4: mouse echo
; ====================================================================================
mouse_echo:
    CALL16 banner
    mov si, msg_mouse
    CALL16 puts
    mov ah, 0x01                 ; no blinking text cursor
    mov cx, 0x2000
    int 0x10
    xor ax, ax
    mov es, ax
    mov word ptr [MX], 320       ; the pointer starts in the middle of the screen
    mov word ptr [MY], 200
    mov word ptr [MDX], ax
    mov word ptr [MDY], ax
    mov word ptr [MSTAT], ax
    mov word ptr [MCOUNT], ax
    mov byte ptr [MDIRTY], 1
    mov word ptr [MCELL], 0xFFFF
    mov ax, 0xC205               ; initialise: 3-byte packets
    mov bh, 3
    int 0x15
    jc mouse_fail
    mov ax, 0xC201               ; reset: BH = device ID
    int 0x15
    jc mouse_fail
    push bx
    mov si, msg_mouse_id
    CALL16 puts
    pop bx
    mov al, bh
    CALL16 puthex
    mov al, 0x68
    CALL16 putc
    mov bx, mouse_handler        ; the handler, ES:BX = 0000:mouse_handler
    mov ax, 0xC207
    int 0x15
    jc mouse_fail
    mov ax, 0xC200               ; enable
    mov bh, 1
    int 0x15
    jc mouse_fail
mouse_loop:
    cmp byte ptr [MDIRTY], 0
    je mouse_keys
    CALL16 mouse_draw
mouse_keys:
    mov ah, 0x11                 ; a key?
    int 0x16
    jnz mouse_key
    cli
    cmp byte ptr [MDIRTY], 0
    jne mouse_again
    sti                          ; STI; HLT: a packet after the test above still wakes the HLT
    hlt
mouse_again:
    sti
    jmp mouse_loop
mouse_key:
    mov ah, 0x10
    int 0x16
    cmp al, 0x1B
    jne mouse_loop
    CALL16 mouse_hide
    JMP16 mouse_off
mouse_fail:                      ; AH = the C2h status
    push ax
    mov si, msg_mouse_err
    CALL16 puts
    pop ax
    mov al, ah
    CALL16 puthex
    mov si, msg_anykey
    CALL16 puts
    mov ah, 0x10
    int 0x16
mouse_off:
    mov ax, 0xC200               ; disable
    xor bh, bh
    int 0x15
    xor ax, ax                   ; no handler: ES:BX = 0:0
    mov es, ax
    xor bx, bx
    mov ax, 0xC207
    int 0x15
    JMP16 menu

; mouse_handler: called FAR by the BIOS's IRQ12 service with 0, Y, X, status on the stack
mouse_handler:
    push bp
    mov bp, sp
    push ds
    push ax
    push bx
    xor ax, ax
    mov ds, ax
    mov bx, word ptr [bp + 12]   ; status: Yov Xov Ysign Xsign 1 M R L
    xor bh, bh
    mov word ptr [MSTAT], bx
    mov al, byte ptr [bp + 10]   ; X movement, its sign in status bit 4
    xor ah, ah
    test bl, 0x10
    jz mh_dx
    mov ah, 0xFF
mh_dx:
    mov word ptr [MDX], ax
    add ax, word ptr [MX]
    jns mh_x_low
    xor ax, ax
mh_x_low:
    cmp ax, 639
    jle mh_x_high
    mov ax, 639
mh_x_high:
    mov word ptr [MX], ax
    mov al, byte ptr [bp + 8]    ; Y movement, its sign in status bit 5
    xor ah, ah
    test bl, 0x20
    jz mh_dy
    mov ah, 0xFF
mh_dy:
    mov word ptr [MDY], ax
    mov bx, word ptr [MY]
    sub bx, ax                   ; up is positive, the screen's Y grows downwards
    jns mh_y_low
    xor bx, bx
mh_y_low:
    cmp bx, 399
    jle mh_y_high
    mov bx, 399
mh_y_high:
    mov word ptr [MY], bx
    inc word ptr [MCOUNT]
    mov byte ptr [MDIRTY], 1
    pop bx
    pop ax
    pop ds
    pop bp
    RETF16

; mouse_draw: copy the handler's words, show them on rows 5-8, move the pointer cell
mouse_draw:
    cli
    mov byte ptr [MDIRTY], 0
    mov si, MX
    mov di, SHX
    mov cx, 6
    rep movsw
    sti
    CALL16 mouse_hide
    mov dx, 0x0500
    CALL16 locate
    mov si, msg_mpos
    CALL16 puts
    mov ax, word ptr [SHX]
    CALL16 putu5
    mov si, msg_my
    CALL16 puts
    mov ax, word ptr [SHY]
    CALL16 putu5
    mov dx, 0x0600
    CALL16 locate
    mov si, msg_mlast
    CALL16 puts
    mov ax, word ptr [SHDX]
    CALL16 puts5
    mov si, msg_mdy
    CALL16 puts
    mov ax, word ptr [SHDY]
    CALL16 puts5
    mov si, msg_mstat
    CALL16 puts
    mov al, byte ptr [SHSTAT]
    CALL16 puthex
    mov dx, 0x0700
    CALL16 locate
    mov si, msg_mleft
    CALL16 puts
    mov al, byte ptr [SHSTAT]
    and al, 1
    CALL16 putbutton
    mov si, msg_mmiddle
    CALL16 puts
    mov al, byte ptr [SHSTAT]
    and al, 4
    CALL16 putbutton
    mov si, msg_mright
    CALL16 puts
    mov al, byte ptr [SHSTAT]
    and al, 2
    CALL16 putbutton
    mov dx, 0x0800
    CALL16 locate
    mov si, msg_mcount
    CALL16 puts
    mov ax, word ptr [SHCOUNT]
    CALL16 putu5
    CALL16 mouse_show
    RET16

; mouse_show: XOR the attribute of the cell under (SHX, SHY) with 77h; MCELL, MSAVED
mouse_show:
    mov ax, word ptr [SHY]
    mov cl, 4
    shr ax, cl                   ; row = Y / 16
    mov bx, 160
    mul bx
    mov di, ax
    mov ax, word ptr [SHX]
    mov cl, 3
    shr ax, cl                   ; column = X / 8
    shl ax, 1
    add di, ax
    inc di                       ; the attribute byte
    push es
    mov ax, 0xB800
    mov es, ax
    mov al, byte ptr es:[di]
    mov byte ptr [MSAVED], al
    xor al, 0x77
    mov byte ptr es:[di], al
    pop es
    mov word ptr [MCELL], di
    RET16

; mouse_hide: put back the attribute under the pointer, if it is shown
mouse_hide:
    mov di, word ptr [MCELL]
    cmp di, 0xFFFF
    je mouse_hide_done
    push es
    mov ax, 0xB800
    mov es, ax
    mov al, byte ptr [MSAVED]
    mov byte ptr es:[di], al
    pop es
    mov word ptr [MCELL], 0xFFFF
mouse_hide_done:
    RET16

; putbutton: "down" if AL is not 0, else "up  "
putbutton:
    mov si, msg_down
    or al, al
    jnz putbutton_out
    mov si, msg_up
putbutton_out:
    CALL16 puts
    RET16

; putu5: AX unsigned in decimal, padded with spaces to 5 characters
putu5:
    xor dx, dx
    CALL16 utoa
    mov cx, 5
    CALL16 putpad
    RET16

; puts5: AX signed in decimal (a sign unless 0), padded with spaces to 5 characters
puts5:
    mov cl, 0x2B
    or ax, ax
    jns puts5_positive
    neg ax
    mov cl, 0x2D
puts5_positive:
    push cx
    push ax
    xor dx, dx
    CALL16 utoa
    pop ax
    pop cx
    or ax, ax
    jz puts5_out
    dec si
    mov byte ptr [si], cl
puts5_out:
    mov cx, 5
    CALL16 putpad
    RET16

; putpad: the 0-terminated string at SI, then spaces up to CX characters in all
putpad:
    lodsb
    or al, al
    jz putpad_fill
    CALL16 putc
    dec cx
    jmp putpad
putpad_fill:
    mov al, 0x20
putpad_space:
    cmp cx, 0
    jle putpad_done
    CALL16 putc
    dec cx
    jmp putpad_space
putpad_done:
    RET16

; locate: the cursor of page 0 to row DH, column DL
locate:
    mov ah, 0x02
    xor bh, bh
    int 0x10
    RET16

; ====================================================================================
; output helpers
; ====================================================================================
; puts: the 0-terminated string at SI to the screen (teletype)
puts:
    lodsb
    or al, al
    jz puts_done
    CALL16 putc
    jmp puts
puts_done:
    RET16

; putn: CX characters at SI to the screen
putn:
    lodsb
    CALL16 putc
    loop putn
    RET16

; putc: AL to the screen (teletype, page 0); keeps every register
putc:
    push ax
    push bx
    mov ah, 0x0E
    mov bx, 0x0007
    int 0x10
    pop bx
    pop ax
    RET16

; puthex: AL as two hex digits
puthex:
    push ax
    mov cl, 4
    shr al, cl
    CALL16 puthex_digit
    pop ax
    and al, 0x0F
puthex_digit:
    add al, 0x30
    cmp al, 0x3A
    jb puthex_out
    add al, 7
puthex_out:
    CALL16 putc
    RET16

; e9puts: the 0-terminated string at SI to port E9h
e9puts:
    lodsb
    or al, al
    jz e9puts_done
    out 0xE9, al
    jmp e9puts
e9puts_done:
    RET16

; e9putn: CX characters at SI to port E9h
e9putn:
    lodsb
    out 0xE9, al
    loop e9putn
    RET16

; ====================================================================================
; data
; ====================================================================================
msg_banner:
    .ascii "pyx86 diagnostics"
    .byte 0
msg_menu:
    .ascii "  1  CPU speed"
    .byte 13, 10
    .ascii "  2  Video tour"
    .byte 13, 10
    .ascii "  3  Keyboard echo"
    .byte 13, 10
    .ascii "  4  Mouse echo"
    .byte 13, 10
    .ascii "  Q  Quit"
    .byte 13, 10, 13, 10
    .ascii "Choose: "
    .byte 0
msg_cpu:
    .byte 13, 10
    .ascii "CPU speed (BIOS ticks at 18.2 Hz):"
    .byte 13, 10, 0
msg_indent:
    .ascii "  "
    .byte 0
msg_sep:
    .ascii ": "
    .byte 0
msg_insns:
    .ascii " instructions, "
    .byte 0
msg_ticks:
    .ascii " ticks, "
    .byte 0
msg_fast:
    .ascii "too fast to time"
msg_crlf:
    .byte 13, 10, 0
msg_mips:
    .ascii " MIPS"
    .byte 13, 10, 0
msg_anykey:
    .byte 13, 10
    .ascii "Press a key for the menu"
    .byte 0
msg_vbe_err:
    .ascii "No VBE mode 101h: INT 10h AX=4F00h/4F02h returned AX="
    .byte 0
msg_keys:
    .byte 13, 10
    .ascii "Keyboard echo (INT 16h AH=10h): press keys, Esc returns to the menu"
    .byte 13, 10, 0
msg_scan:
    .ascii "scan "
    .byte 0
msg_ascii:
    .ascii "  ascii "
    .byte 0
msg_mouse:
    .ascii "Mouse echo (INT 15h C2xxh handler, IRQ12): move the mouse, press its buttons,"
    .byte 13, 10
    .ascii "Esc returns to the menu.  "
    .byte 0
msg_mouse_id:
    .ascii "Device ID "
    .byte 0
msg_mouse_err:
    .byte 13, 10
    .ascii "No PS/2 mouse: INT 15h C2xxh status "
    .byte 0
msg_mpos:
    .ascii "position     X "
    .byte 0
msg_my:
    .ascii " Y "
    .byte 0
msg_mlast:
    .ascii "last packet  dx "
    .byte 0
msg_mdy:
    .ascii " dy "
    .byte 0
msg_mstat:
    .ascii " status "
    .byte 0
msg_mleft:
    .ascii "buttons      left "
    .byte 0
msg_mmiddle:
    .ascii " middle "
    .byte 0
msg_mright:
    .ascii " right "
    .byte 0
msg_mcount:
    .ascii "packets      "
    .byte 0
msg_down:
    .ascii "down"
    .byte 0
msg_up:
    .ascii "up  "
    .byte 0
msg_bye:
    .byte 13, 10
    .ascii "Bye."
    .byte 13, 10, 0
e9_alu:
    .ascii "BENCH alu start"
    .byte 0
e9_mem:
    .ascii "BENCH mem start"
    .byte 0
e9_string:
    .ascii "BENCH str start"
    .byte 0
e9_end:
    .ascii " end "
    .byte 0
e9_quit:
    .ascii "BENCH quit"
    .byte 10, 0
program_end:
