#!/bin/bash
# Becomes one test box. Runs as PID 1 of fresh PID and mount namespaces (see start-local-box.ts): every directory a
# box owns is replaced by the box's own copy, so users, files and processes it gets exist on this box only and the
# host is never changed. Then it turns into the box's sshd.
set -euo pipefail
box=$1
hostname "$2"
# unshare already made mounts private; say it again so nothing mounted here can ever propagate to the host.
mount --make-rprivate /
# Whole directories, never single files: useradd replaces /etc/passwd by rename, which a file bind mount forbids.
mount --bind "$box/etc" /etc
mount --bind "$box/home" /home
mount --bind "$box/opt" /opt
mount --bind "$box/var-lib" /var/lib
mount --bind "$box/var-log" /var/log
mount --bind "$box/root" /root
# sshd refuses keys under group- or world-writable directories: the modes are not decoration.
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=700 tmpfs /root/.ssh
install -m 600 "$box/authorized_keys" /root/.ssh/authorized_keys
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
# Box directories may live under the host's /dev/shm: hide it, so a box sees no other box's files.
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -m 755 /run/sshd
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
