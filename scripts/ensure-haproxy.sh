#!/bin/sh
# Make sure HAProxy exists for `make load-cluster` and print its path.
# Order: $HAPROXY, haproxy on the PATH or in /usr/sbin, then (as root) Debian's haproxy package.
set -eu
found() { echo "$1"; exit 0; }
[ -n "${HAPROXY:-}" ] && [ -x "$HAPROXY" ] && found "$HAPROXY"
path=$(command -v haproxy 2>/dev/null || true)
[ -n "$path" ] && found "$path"
[ -x /usr/sbin/haproxy ] && found /usr/sbin/haproxy
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y haproxy >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y haproxy >/dev/null 2>&1)) || true
    [ -x /usr/sbin/haproxy ] && found /usr/sbin/haproxy
fi
echo "no HAProxy found: install the 'haproxy' package (apt-get install haproxy)" >&2
exit 1
