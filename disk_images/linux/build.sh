#!/bin/bash
# Build pyx86's tiny i386 Linux guest from Debian 12 ("bookworm") packages only.
#
#   disk_images/linux/build.sh [--busybox source|static] [--regen-config] [OUTDIR]
#
# OUTDIR defaults to disk_images/linux/out (ignored by git).  The script is
# idempotent: run it again and finished steps are reused (the kernel and
# busybox builds are incremental, the images are rebuilt).
#
# Outputs in OUTDIR:
#   bzImage              Linux 6.1 (linux-source-6.1) for 486SX+, LZ4-compressed
#   initramfs.cpio.gz    busybox + /init (newc cpio, fixed mtime, gzip -9 -n)
#   tiny-linux.iso       ISOLINUX, El Torito no-emulation boot
#   tiny-linux-hdd.img   16 cyl x 16 heads x 63 sectors, SYSLINUX mbr.bin,
#                        one active FAT16 partition (type 0x04, LBA 63..16127)
#   kernel.config        the .config that was used
#   SHA256SUMS
#
# --busybox source (default): rebuild Debian's busybox source package for i486
#   (gcc -m32 -march=i486) and link it statically against musl-dev:i386.
# --busybox static: use Debian's prebuilt busybox-static:i386.  Its glibc
#   start-up code uses CMOV, so the guest then needs a P6-class CPU.
# --regen-config: derive the kernel config from `make tinyconfig` plus the
#   option list below instead of starting from the checked-in kernel.config.
#   The result is left in OUTDIR/kernel.config (copy it over
#   disk_images/linux/kernel.config to update the checked-in one).
#
# Build dependencies (Debian 12; installed automatically when run as root):
#   i386 architecture enabled (dpkg --add-architecture i386), deb-src entries
#   for `apt-get source busybox`, and the packages in DEPS below.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUSYBOX_MODE=source
REGEN_CONFIG=0
OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
        --busybox) BUSYBOX_MODE=${2:?}; shift 2 ;;
        --busybox=*) BUSYBOX_MODE=${1#*=}; shift ;;
        --regen-config) REGEN_CONFIG=1; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) OUT=$1; shift ;;
    esac
done
case "$BUSYBOX_MODE" in source|static) ;; *) echo "--busybox must be source or static" >&2; exit 2 ;; esac
OUT=${OUT:-$HERE/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
case "$OUT/" in
    /work/shared/*) echo "refusing to write into the shared folder: $OUT" >&2; exit 2 ;;
esac

JOBS=$(nproc)
# Fixed timestamps: 2024-01-01 00:00:00 UTC.
EPOCH=1704067200
export SOURCE_DATE_EPOCH=$EPOCH
export KBUILD_BUILD_TIMESTAMP="@$EPOCH" KBUILD_BUILD_USER=pyx86 KBUILD_BUILD_HOST=pyx86 KBUILD_BUILD_VERSION=1
export LC_ALL=C TZ=UTC
SRC=$OUT/src
WORK=$OUT/work
mkdir -p "$SRC" "$WORK"

log() { printf '\n=== %s  [%s]\n' "$*" "$(date -u +%H:%M:%S)"; }

# ---------------------------------------------------------------- dependencies
DEPS=(
    linux-source-6.1            # /usr/src/linux-source-6.1.tar.xz
    build-essential bc bison flex libelf-dev libssl-dev cpio lz4 xz-utils
    rsync                       # make headers_install
    dpkg-dev                    # apt-get source / dpkg-source
    xorriso isolinux syslinux syslinux-common mtools dosfstools fdisk
    musl-dev:i386 libgcc-12-dev:i386   # busybox --busybox source
    busybox-static:i386                # only downloaded, for --busybox static
)
missing=()
for p in "${DEPS[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "missing packages: ${missing[*]} (run as root to install them)" >&2; exit 1
    fi
    dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
    apt-get update -q || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---------------------------------------------------------------- kernel source
KVER_DEB=$(dpkg-query -W -f='${Version}' linux-source-6.1)
KSRC=$SRC/linux
if [ ! -f "$SRC/.linux-$KVER_DEB" ]; then
    log "unpacking linux-source-6.1 $KVER_DEB"
    rm -rf "$KSRC" "$SRC"/linux-source-6.1 "$SRC"/.linux-*
    tar -C "$SRC" -xf /usr/src/linux-source-6.1.tar.xz
    mv "$SRC/linux-source-6.1" "$KSRC"
    touch "$SRC/.linux-$KVER_DEB"
fi
kmake() { make -C "$KSRC" ARCH=i386 -j"$JOBS" "$@"; }

# ---------------------------------------------------------------- kernel config
# Each entry is OPTION=value for scripts/config; every one is checked after
# olddefconfig, and the build stops if one did not stick.
KOPTS=(
    # CPU: 486SX (-march=i486, allows math emulation), uniprocessor, no APIC
    M686=n M486SX=y MATH_EMULATION=y MODIFY_LDT_SYSCALL=y
    SMP=n X86_UP_APIC=n X86_UP_IOAPIC=n
    NOHIGHMEM=y HZ_250=n HZ_100=y BLOCK=y
    # cheaper to run in an emulator than tinyconfig's XZ / SLOB
    KERNEL_XZ=n KERNEL_LZ4=y SLOB=n SLUB=y
    # basic userland support
    MULTIUSER=y FUTEX=y EPOLL=y SIGNALFD=y TIMERFD=y EVENTFD=y SHMEM=y
    POSIX_TIMERS=y FILE_LOCKING=y SYSCTL=y PROC_SYSCTL=y BUG=y
    BINFMT_ELF=y BINFMT_SCRIPT=y
    BLK_DEV_INITRD=y RD_GZIP=y
    DEVTMPFS=y DEVTMPFS_MOUNT=y PROC_FS=y SYSFS=y TMPFS=y
    # consoles
    PRINTK=y PRINTK_TIME=y EARLY_PRINTK=y
    TTY=y VT=y VT_CONSOLE=y VGA_CONSOLE=y UNIX98_PTYS=y
    SERIAL_8250=y SERIAL_8250_CONSOLE=y DEVMEM=y DEVPORT=y
    # buses: PCI with direct config access only, ISA
    PCI=y PCI_GOANY=n PCI_GODIRECT=y ISA=y
    # storage
    BLK_DEV=y BLK_DEV_FD=y
    SCSI=y BLK_DEV_SD=y BLK_DEV_SR=y
    ATA=y ATA_SFF=y ATA_BMDMA=y PATA_LEGACY=y ATA_PIIX=y ATA_GENERIC=y
    # file systems
    ISO9660_FS=y JOLIET=y EXT2_FS=y FAT_FS=y MSDOS_FS=y VFAT_FS=y
    NLS=y NLS_CODEPAGE_437=y NLS_ISO8859_1=y
    # network
    NET=y INET=y IPV6=n PACKET=y UNIX=y
    NETDEVICES=y ETHERNET=y NET_VENDOR_8390=y NE2000=y NE2K_PCI=y
    # input (keyboard, no mouse)
    INPUT=y INPUT_KEYBOARD=y KEYBOARD_ATKBD=y INPUT_MOUSE=n SERIO=y SERIO_I8042=y
    # RTC
    RTC_CLASS=y RTC_DRV_CMOS=y RTC_HCTOSYS=y
    # not needed: HID, wireless, socket diagnostics, ethtool netlink, kyber
    HID=n WIRELESS=n WLAN=n INET_DIAG=n ETHTOOL_NETLINK=n MQ_IOSCHED_KYBER=n
    # no modules
    MODULES=n
)
check_config() {
    local bad=0 o name val
    for o in "${KOPTS[@]}"; do
        name=${o%%=*}; val=${o#*=}
        if [ "$val" = n ]; then
            if grep -q "^CONFIG_$name=" "$KSRC/.config"; then echo "config: CONFIG_$name should be off" >&2; bad=1; fi
        elif ! grep -qx "CONFIG_$name=$val" "$KSRC/.config"; then
            echo "config: CONFIG_$name=$val did not stick" >&2; bad=1
        fi
    done
    return $bad
}
log "kernel config"
if [ "$REGEN_CONFIG" = 1 ] || [ ! -f "$HERE/kernel.config" ]; then
    kmake tinyconfig >/dev/null
    args=()
    for o in "${KOPTS[@]}"; do
        name=${o%%=*}; val=${o#*=}
        case "$val" in
            y) args+=(--enable "$name") ;;
            n) args+=(--disable "$name") ;;
            *) args+=(--set-val "$name" "$val") ;;
        esac
    done
    "$KSRC/scripts/config" --file "$KSRC/.config" "${args[@]}"
else
    cp "$HERE/kernel.config" "$KSRC/.config.new"
    if cmp -s "$KSRC/.config.new" "$KSRC/.config"; then rm "$KSRC/.config.new"; else mv "$KSRC/.config.new" "$KSRC/.config"; fi
fi
kmake olddefconfig >/dev/null
check_config
cp "$KSRC/.config" "$OUT/kernel.config"
if [ -f "$HERE/kernel.config" ] && ! cmp -s "$HERE/kernel.config" "$OUT/kernel.config"; then
    echo "note: $OUT/kernel.config differs from the checked-in $HERE/kernel.config" >&2
fi

# ---------------------------------------------------------------- kernel build
log "kernel build (make -j$JOBS bzImage)"
kmake bzImage
cp "$KSRC/arch/x86/boot/bzImage" "$OUT/bzImage"
KRELEASE=$(cat "$KSRC/include/config/kernel.release")

# ---------------------------------------------------------------- busybox
BBDIR=$WORK/busybox-$BUSYBOX_MODE
mkdir -p "$BBDIR"
if [ "$BUSYBOX_MODE" = static ]; then
    log "busybox: Debian's busybox-static:i386"
    ( cd "$BBDIR" && rm -f busybox-static_*.deb && apt-get download -q busybox-static:i386 )
    rm -rf "$BBDIR/root"; dpkg-deb -x "$BBDIR"/busybox-static_*.deb "$BBDIR/root"
    cp "$BBDIR/root/bin/busybox" "$BBDIR/busybox"
    # the applet list, in the form "bin/ls" (runs the i386 binary on the host)
    "$BBDIR/busybox" --list-full | sort > "$BBDIR/applets.list"
else
    BBSRC=$SRC/busybox
    if [ ! -f "$BBSRC/.unpacked" ]; then
        log "busybox: apt-get source busybox"
        if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
            if [ "$(id -u)" != 0 ]; then echo "apt-get source needs deb-src entries" >&2; exit 1; fi
            cat > /etc/apt/sources.list.d/pyx86-deb-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
            apt-get update -q || true
        fi
        rm -rf "$BBSRC" "$SRC/busybox-src"
        mkdir -p "$SRC/busybox-src"
        ( cd "$SRC/busybox-src" && apt-get source -q busybox )
        mv "$SRC"/busybox-src/busybox-1.*/ "$BBSRC"
        touch "$BBSRC/.unpacked"
    fi
    BBVER=$(cd "$BBSRC" && dpkg-parsechangelog -S Version)

    # i486 + musl "toolchain": the host gcc in 32-bit mode, musl's headers and
    # libc.a (musl-dev:i386), the kernel's UAPI headers from our own tree, and
    # crt*.o/libgcc.a from libgcc-12-dev:i386.
    TC=$WORK/i486-musl
    mkdir -p "$TC/lib"
    # musl keeps crypt() in libc.a; busybox may still ask for -lcrypt
    [ -f "$TC/lib/libcrypt.a" ] || ar rc "$TC/lib/libcrypt.a"
    GCCINC=$(gcc -print-file-name=include)
    kmake headers_install INSTALL_HDR_PATH="$TC/linux-headers" >/dev/null
    cat > "$TC/gcc" <<EOF
#!/bin/bash
# generated by disk_images/linux/build.sh: gcc for static i486 musl binaries
musl=/usr/lib/i386-linux-musl
gcclib=/usr/lib/gcc/i686-linux-gnu/12
flags=(-m32 -march=i486 -mtune=i486 -fcf-protection=none -fno-pie
       -nostdinc -isystem /usr/include/i386-linux-musl
       -isystem "$TC/linux-headers/include" -isystem "$GCCINC")
for a in "\$@"; do
    # compiling, or a partial link (busybox's LD is "\$CC -nostdlib" ... -r)
    case "\$a" in -c|-S|-E|-M|-MM|-r|-nostdlib|-Wl,-r) exec gcc "\${flags[@]}" "\$@" ;; esac
done
exec gcc "\${flags[@]}" -static -no-pie -nostdlib -L"\$musl" -L"$TC/lib" \\
    "\$musl/crt1.o" "\$musl/crti.o" "\$gcclib/crtbeginT.o" \\
    "\$@" \\
    -Wl,--start-group "\$musl/libc.a" "\$gcclib/libgcc.a" -Wl,--end-group \\
    "\$gcclib/crtend.o" "\$musl/crtn.o"
EOF
    chmod +x "$TC/gcc"

    log "busybox $BBVER: configure (Debian's static flavour)"
    {
        cat "$BBSRC/debian/config/os/linux" "$BBSRC/debian/config/pkg/static" |
            grep -v -e '^CONFIG_FEATURE_VI_REGEX_SEARCH=' -e '^CONFIG_EXTRA_COMPAT=' \
                    -e '^CONFIG_EXTRA_CFLAGS=' -e '^CONFIG_EXTRA_LDFLAGS='
        echo '# CONFIG_FEATURE_VI_REGEX_SEARCH is not set'
        echo '# CONFIG_EXTRA_COMPAT is not set'
        echo 'CONFIG_EXTRA_CFLAGS=""'
        echo 'CONFIG_EXTRA_LDFLAGS=""'
    } > "$BBDIR/.config.new"
    if ! cmp -s "$BBDIR/.config.new" "$BBDIR/.config.in"; then
        cp "$BBDIR/.config.new" "$BBDIR/.config.in"
        cp "$BBDIR/.config.new" "$BBDIR/.config"
    fi
    rm -f "$BBDIR/.config.new"
    bbmake() {
        make -C "$BBSRC" O="$BBDIR" CC="$TC/gcc" HOSTCC=gcc \
            BB_EXTRA_VERSION="Debian $BBVER, pyx86 i486 musl" "$@"
    }
    bbmake oldconfig </dev/null >/dev/null
    for o in FEATURE_VI_REGEX_SEARCH EXTRA_COMPAT; do
        if grep -q "^CONFIG_$o=y" "$BBDIR/.config"; then echo "busybox: CONFIG_$o still set" >&2; exit 1; fi
    done
    log "busybox $BBVER: build"
    bbmake -j"$JOBS" busybox busybox.links
    # busybox.links lists "/bin/ls" etc.
    sed 's,^/,,' "$BBDIR/busybox.links" | sort > "$BBDIR/applets.list"

    log "busybox: checking for instructions a 486 does not have"
    objdump -d --no-show-raw-insn "$BBDIR/busybox" > "$BBDIR/busybox.dis"
    # cmovCC, fcmov/fcomi, nopw/nopl (0F 1F), endbr32, rdtsc, cmpxchg8b,
    # sysenter, MMX/SSE registers
    if grep -E $'\t(cmov[a-z]+|fcmov[a-z]*|fu?comip?|nop[wl]|endbr32|rdtsc|cmpxchg8b|sysenter|prefetch[a-z0-9]*)( |$)|%(mm|xmm)[0-9]' \
            "$BBDIR/busybox.dis" | head -5 | grep .; then
        echo "busybox contains instructions a 486 does not have (see above)" >&2; exit 1
    fi
fi
BUSYBOX=$BBDIR/busybox

# ---------------------------------------------------------------- initramfs
log "initramfs"
gcc -O2 -o "$WORK/gen_init_cpio" "$KSRC/usr/gen_init_cpio.c"
# gen_init_cpio stores a regular file's own mtime (-t covers the rest), so the
# files are staged with the fixed timestamp.
FILES=$WORK/initramfs-files
rm -rf "$FILES"; mkdir -p "$FILES"
cp "$HERE/init" "$FILES/init"
cp "$BUSYBOX" "$FILES/busybox"
printf '%s\n' "root:x:0:0:root:/root:/bin/sh" > "$FILES/passwd"
printf '%s\n' "root:x:0:" > "$FILES/group"
printf '%s\n' "pyx86" > "$FILES/hostname"
touch -d "@$EPOCH" "$FILES"/*
LIST=$WORK/initramfs.list
{
    for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /etc /proc /sys /tmp /mnt /root /run; do
        echo "dir $d 0755 0 0"
    done
    echo "nod /dev/console 0600 0 0 c 5 1"
    echo "nod /dev/null 0666 0 0 c 1 3"
    echo "nod /dev/tty0 0620 0 0 c 4 0"
    echo "nod /dev/ttyS0 0660 0 0 c 4 64"
    echo "file /init $FILES/init 0755 0 0"
    echo "file /bin/busybox $FILES/busybox 0755 0 0"
    while read -r a; do
        [ "$a" = bin/busybox ] && continue
        # relative link targets: bin/ls -> ../bin/busybox, usr/sbin/x -> ../../bin/busybox
        up=$(echo "$a" | sed -e 's,[^/]*$,,' -e 's,[^/]*/,../,g')
        echo "slink /$a ${up}bin/busybox 0777 0 0"
    done < "$BBDIR/applets.list"
    for f in passwd group hostname; do
        echo "file /etc/$f $FILES/$f 0644 0 0"
    done
} > "$LIST"
"$WORK/gen_init_cpio" -t "$EPOCH" "$LIST" > "$WORK/initramfs.cpio"
gzip -9 -n -c "$WORK/initramfs.cpio" > "$OUT/initramfs.cpio.gz"

# ---------------------------------------------------------------- ISO
log "ISO (ISOLINUX, El Torito no-emulation)"
ISO=$WORK/iso-root
rm -rf "$ISO"; mkdir -p "$ISO/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$ISO/isolinux/"
cp "$HERE/isolinux.cfg" "$ISO/isolinux/isolinux.cfg"
cp "$OUT/bzImage" "$ISO/bzImage"
cp "$OUT/initramfs.cpio.gz" "$ISO/initrd.gz"
find "$ISO" -exec touch -h -d "@$EPOCH" {} +
rm -f "$OUT/tiny-linux.iso"
xorriso -as mkisofs -quiet -R -J -V TINYLINUX \
    -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table \
    -o "$OUT/tiny-linux.iso" "$ISO"

# ---------------------------------------------------------------- HDD
log "hard disk (16/16/63, SYSLINUX on FAT16)"
CYLS=16 HEADS=16 SPT=63
SECTORS=$((CYLS * HEADS * SPT))           # 16128
PSTART=$SPT                               # LBA 63
PSIZE=$((SECTORS - PSTART))               # 16065 sectors: LBA 63..16127
IMG=$WORK/tiny-linux-hdd.img
rm -f "$IMG"
truncate -s $((SECTORS * 512)) "$IMG"
printf 'label: dos\nlabel-id: 0x50595836\nstart=%s, size=%s, type=4, bootable\n' "$PSTART" "$PSIZE" |
    sfdisk --quiet --no-reread --no-tell-kernel --label dos "$IMG"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$IMG" bs=440 count=1 conv=notrunc status=none
mkfs.fat -F 16 -s 1 -n TINYLINUX -i 50595836 -h "$PSTART" --offset "$PSTART" \
    "$IMG" $((PSIZE / 2)) >/dev/null
export MTOOLS_SKIP_CHECK=1
for f in bzImage initrd.gz; do cp "$ISO/$f" "$WORK/$f"; done
cp "$HERE/syslinux.cfg" "$WORK/syslinux.cfg"
touch -d "@$EPOCH" "$WORK/bzImage" "$WORK/initrd.gz" "$WORK/syslinux.cfg"
mcopy -m -i "$IMG@@$((PSTART * 512))" "$WORK/bzImage" "$WORK/initrd.gz" "$WORK/syslinux.cfg" ::
syslinux --offset $((PSTART * 512)) --install "$IMG"
# mkfs.fat stamps the volume label, syslinux LDLINUX.SYS/LDLINUX.C32 with the
# current time: set these root directory entries to the fixed date instead.
PART=$((PSTART * 512))
u16() { od -An -tu2 -j $(($1)) -N2 "$IMG" | tr -d ' '; }
u8() { od -An -tu1 -j $(($1)) -N1 "$IMG" | tr -d ' '; }
ROOTDIR=$((PART + 512 * ($(u16 "$PART + 14") + $(u8 "$PART + 16") * $(u16 "$PART + 22"))))
ROOTLEN=$(($(u16 "$PART + 17") * 32))
FATDATE=$(( ($(date -u -d "@$EPOCH" +%Y) - 1980) << 9 | $(date -u -d "@$EPOCH" +%-m) << 5 | $(date -u -d "@$EPOCH" +%-d) ))
D=$(printf '\\x%02x\\x%02x' $((FATDATE & 255)) $((FATDATE >> 8)))
for name in 'TINYLINUX  ' 'LDLINUX SYS' 'LDLINUX C32'; do
    rel=$(dd if="$IMG" bs=512 skip=$((ROOTDIR / 512)) count=$((ROOTLEN / 512)) status=none |
          grep -obUaF "$name" | head -1 | cut -d: -f1)
    [ -n "$rel" ] || { echo "no $name entry in the root directory" >&2; exit 1; }
    entry=$((ROOTDIR + rel))
    # +13 create time (10 ms), +14 create time, +16 create date, +18 access date
    printf "\\x00\\x00\\x00$D$D" | dd of="$IMG" bs=1 seek=$((entry + 13)) conv=notrunc status=none
    # +22 write time, +24 write date
    printf "\\x00\\x00$D" | dd of="$IMG" bs=1 seek=$((entry + 22)) conv=notrunc status=none
done
mv "$IMG" "$OUT/tiny-linux-hdd.img"

# ---------------------------------------------------------------- summary
log "done: Linux $KRELEASE (linux-source-6.1 $KVER_DEB), busybox $BUSYBOX_MODE"
cd "$OUT"
sha256sum bzImage initramfs.cpio.gz tiny-linux.iso tiny-linux-hdd.img kernel.config > SHA256SUMS
ls -l bzImage initramfs.cpio.gz tiny-linux.iso tiny-linux-hdd.img kernel.config
cat SHA256SUMS
