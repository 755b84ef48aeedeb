#!/usr/bin/env bash
# Boots systemd as PID 1 of a throw-away container, for the unit test: a new
# mount, PID, UTS, IPC and cgroup namespace inside the network namespace NETNS
# the test created; its root an overlay of the host's root filesystem over a
# tmpfs, so every write (the installed package, /etc, the journal) vanishes
# with it; /proc/sys and /sys read-only and CAP_SYS_MODULE, CAP_SYS_TIME,
# CAP_SYS_RAWIO and CAP_SYSLOG dropped, so nothing it starts can change the
# host's kernel settings; its own cgroup (CGROUP, under the cgroup2 hierarchy)
# so that the test ends every process in it at once (cgroup.kill).
#
#   usage: systemd-container.sh NETNS WORKDIR CGROUP
#
# Writes WORKDIR/pid1 (the host PID of the container's systemd) and execs it.
set -euo pipefail

if [ "${1:-}" != --inner ]; then
  netns=$1 work=$2 cgroup=$3
  mkdir "$cgroup"
  echo $$ >"$cgroup/cgroup.procs"
  exec ip netns exec "$netns" unshare --mount --pid --uts --ipc --cgroup --fork --propagation private \
    "$0" --inner "$work"
fi

work=$2
root=$work/root
mkdir -p "$root" "$work/rw"
mount -t tmpfs -o mode=0755 mmproxy-rw "$work/rw"
mkdir "$work/rw/upper" "$work/rw/work"
mount -t overlay mmproxy-root -o "lowerdir=/,upperdir=$work/rw/upper,workdir=$work/rw/work" "$root"

# ip netns exec mounted this namespace's own sysfs at /sys.
mount --bind /sys "$root/sys"
mount -o remount,bind,ro "$root/sys"
mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup"
mount -t proc proc "$root/proc"
for ro in sys sysrq-trigger; do
  [ -e "$root/proc/$ro" ] || continue
  mount --bind "$root/proc/$ro" "$root/proc/$ro"
  mount -o remount,bind,ro "$root/proc/$ro"
done
mount -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
touch "$root/dev/console"
mount --bind /dev/null "$root/dev/console"
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"

# A minimal boot: the journal only; the unit under test pulls in the rest.
units=$root/etc/systemd/system
cat >"$units/mmproxy-test.target" <<'UNIT'
[Unit]
Description=mmproxy unit test: the journal, nothing else
Wants=systemd-journald.service
UNIT
# Hardware and kernel mounts have no business in the test.
for unit in dev-hugepages.mount sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
  sys-fs-fuse-connections.mount systemd-firstboot.service proc-sys-fs-binfmt_misc.automount \
  systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$units/$unit"
done

# The host PID of this shell (/proc is still the host's here), which exec turns into systemd.
cut -d' ' -f4 /proc/self/stat >"$work/pid1"
cd "$root"
mkdir -p .old-root
pivot_root . .old-root
umount -l /.old-root
rmdir /.old-root
exec setpriv --bounding-set=-sys_module,-sys_time,-sys_rawio,-syslog \
  env -i container=mmproxy-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  /lib/systemd/systemd --unit=mmproxy-test.target --log-target=console --show-status=no
