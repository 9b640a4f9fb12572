#!/usr/bin/env bash
# Headless Chromium + ChromeDriver (Debian packages) for the site's browser test.
# Installs only when missing and when we may (root with apt); otherwise explains and moves on:
# the browser test then skips on a learner's machine, and fails in CI (CI=true) where it must run.
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: chromium/chromedriver not found; install Debian's 'chromium chromium-driver' to run the browser test"
  exit 0
fi
echo "Installing chromium and chromium-driver (Debian) for the site test..."
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null || {
    echo "warning: could not install chromium; the browser test will not run"; exit 0; }
fi
