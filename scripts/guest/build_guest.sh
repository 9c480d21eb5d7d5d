#!/usr/bin/env bash
# Builds a tiny Linux guest for the QEMU end-to-end tests into a cache folder:
#   $1 (default build/guest)/vmlinuz     Debian's cloud kernel (linux-image-*-cloud-amd64)
#   $1 (default build/guest)/initrd.gz   busybox-static initramfs whose /init loads the virtio-net
#                                        and 802.1Q modules, configures eth0 from the kernel command
#                                        line, pings and prints VIGIL-* result lines on the console.
# The kernel and busybox packages are fetched with `apt-get download` and unpacked with `dpkg -x`
# (never installed). Idempotent: does nothing when both outputs exist and are newer than this
# script; downloaded .deb files are kept in $1/debs and reused.
#
# Guest kernel command line (all optional except vigil_ip):
#   vigil_ip=10.0.10.1/24      address of eth0 (or of eth0.<vigil_vlan>)
#   vigil_vlan=10              put the address on a VLAN subinterface eth0.10 instead of eth0
#   vigil_mode=ping|serve      ping: ping every target, then power off (default)
#                              serve: announce (gratuitous ARP), print VIGIL-READY, idle forever
#   vigil_ping=10.0.10.2,10.0.10.3   targets, pinged one after the other
#   vigil_count=5              pings per target
#   vigil_interval=0.5         seconds between pings (fractions allowed)
#   vigil_wait=2               seconds to wait for the last reply after the last ping
#   vigil_verbose=1            echo every ping reply line (with the guest's uptime) on the console
# Console lines (one per line, machine readable):
#   VIGIL-EVENT <name> t=<uptime s> ...
#   VIGIL-READY ip=<addr> t=<uptime s>
#   VIGIL-RESULT ping <target> sent=<n> received=<n> t=<uptime s>
#   VIGIL-DONE t=<uptime s>
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
out=${1:-build/guest}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ] &&
   [ "$out/vmlinuz" -nt "$self" ] && [ "$out/initrd.gz" -nt "$self" ]; then
  echo "build_guest: up to date in $out"
  exit 0
fi

# Host packages (QEMU to run the guest, xz for compressed modules) come from scripts/setup.sh;
# busybox-static is fetched and unpacked like the kernel.
"$(dirname "$self")/../setup.sh" >/dev/null

# Resolve the versioned kernel package behind the metapackage.
apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1 || apt-get update -qq
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
       awk '/Depends: linux-image-[0-9].*-cloud-amd64/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "build_guest: cannot resolve linux-image-cloud-amd64's kernel package" >&2; exit 1; }

debs="$out/debs"
mkdir -p "$debs"
fetch() {  # fetch PACKAGE: make sure $debs holds PACKAGE_*.deb, print its path
  local f
  f=$(ls "$debs/$1"_*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$f" ]; then
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2)
    f=$(ls "$debs/$1"_*.deb | head -n1)
  fi
  echo "$f"
}
kdeb=$(fetch "$kpkg")
bdeb=$(fetch busybox-static)
echo "build_guest: kernel $(basename "$kdeb"), busybox $(basename "$bdeb")"

work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg -x "$kdeb" "$work/kernel"
dpkg -x "$bdeb" "$work/busybox"
kver=$(ls "$work/kernel/lib/modules" | head -n1)
vmlinuz="$work/kernel/boot/vmlinuz-$kver"
[ -f "$vmlinuz" ] || { echo "build_guest: no vmlinuz in $kdeb" >&2; exit 1; }

# initramfs tree
root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules,run}
ln -s bin "$root/sbin"
mkdir -p "$root/usr"; ln -s ../bin "$root/usr/bin"; ln -s ../bin "$root/usr/sbin"
install -m 0755 "$work/busybox/bin/busybox" "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
  [ "$a" = busybox ] && continue
  ln -sf busybox "$root/bin/$a"
done
mknod -m 0600 "$root/dev/console" c 5 1
mknod -m 0666 "$root/dev/null" c 1 3

MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
         failover net_failover virtio_net llc stp garp mrp 8021q)
mdir="$work/kernel/lib/modules/$kver"
for m in "${MODULES[@]}"; do
  f=$(find "$mdir" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" \) | head -n1)
  if [ -z "$f" ]; then
    # built into the kernel: nothing to load
    grep -q "/$m.ko" "$mdir/modules.builtin" 2>/dev/null && continue
    echo "build_guest: module $m not found in $kdeb" >&2; exit 1
  fi
  case "$f" in
    *.ko.xz)  xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -dqc "$f" >"$root/lib/modules/$m.ko" ;;
    *.ko.gz)  gzip -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *)        cp "$f" "$root/lib/modules/$m.ko" ;;
  esac
  echo "$m" >>"$root/lib/modules/order"
done

cat >"$root/init" <<'INIT'
#!/bin/sh
# vigil test guest: see scripts/guest/build_guest.sh for the command-line variables.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
up() { cut -d' ' -f1 /proc/uptime; }
ev() { echo "VIGIL-EVENT $* t=$(up)"; }
fin() { echo "VIGIL-DONE t=$(up)"; sync; poweroff -f; sleep 5; echo o >/proc/sysrq-trigger; }

vigil_ip=; vigil_vlan=; vigil_mode=ping; vigil_ping=; vigil_count=5; vigil_interval=0.5
vigil_wait=2; vigil_verbose=0
for kv in $(cat /proc/cmdline); do
  case "$kv" in
    vigil_*=*) eval "${kv%%=*}='${kv#*=}'" ;;
  esac
done

for m in $(cat /lib/modules/order); do
  insmod /lib/modules/$m.ko || echo "VIGIL-ERROR insmod $m"
done
ev modules-loaded

i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
if [ ! -e /sys/class/net/eth0 ]; then echo "VIGIL-ERROR no eth0"; fin; fi
ip link set lo up
ip link set eth0 up
dev=eth0
if [ -n "$vigil_vlan" ]; then
  ip link add link eth0 name eth0.$vigil_vlan type vlan id $vigil_vlan
  ip link set eth0.$vigil_vlan up
  dev=eth0.$vigil_vlan
fi
[ -n "$vigil_ip" ] && ip addr add "$vigil_ip" dev $dev
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
ev eth0-up carrier=$(cat /sys/class/net/eth0/carrier 2>/dev/null) mac=$(cat /sys/class/net/eth0/address)

if [ "$vigil_mode" = serve ]; then
  # Announce ourselves so the switch learns this MAC (and counts rx on our port).
  [ -n "$vigil_ip" ] && arping -U -c 1 -I $dev "${vigil_ip%/*}" >/dev/null 2>&1
  echo "VIGIL-READY ip=$vigil_ip t=$(up)"
  while :; do sleep 3600; done
fi

for target in $(echo "$vigil_ping" | tr ',' ' '); do
  ev ping-start target=$target count=$vigil_count interval=$vigil_interval
  : >/tmp/ping.out
  ping -c "$vigil_count" -i "$vigil_interval" -W "$vigil_wait" "$target" 2>&1 |
    while read -r line; do
      echo "$line" >>/tmp/ping.out
      [ "$vigil_verbose" = 1 ] && case "$line" in *"bytes from"*) echo "VIGIL-REPLY t=$(up) $line" ;; esac
    done
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/ping.out)
  recv=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping.out)
  echo "VIGIL-RESULT ping $target sent=${sent:-0} received=${recv:-0} t=$(up)"
done
fin
INIT
chmod 0755 "$root/init"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) |
  gzip -9 >"$work/initrd.gz"
cp "$vmlinuz" "$work/vmlinuz"
mv "$work/vmlinuz" "$out/vmlinuz"
mv "$work/initrd.gz" "$out/initrd.gz"
echo "$kpkg $kver" >"$out/kernel-version"
echo "build_guest: built $out/vmlinuz ($kver) and $out/initrd.gz ($(du -k "$out/initrd.gz" | cut -f1) KiB)"
