#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium through chromedriver. Install them when missing
# (as root, from Debian's packages); nothing downloads a browser of its own.
set -eu
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium and chromium-driver from Debian's packages …"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  exit 0
fi
echo "Chromium is needed for the console tests: sudo apt-get install chromium chromium-driver" >&2
exit 1
