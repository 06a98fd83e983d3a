#!/usr/bin/env bash
# `python -m bot run --instances N` and its end-to-end tests put Debian's haproxy in front of the Rasa
# servers. Install it when missing (as root, from Debian's packages), as ensure-browser.sh does Chromium.
set -eu
if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing haproxy from Debian's packages …"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  exit 0
fi
echo "haproxy is needed for several instances: sudo apt-get install haproxy" >&2
exit 1
