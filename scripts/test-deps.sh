#!/usr/bin/env bash
# Installs what the Rust integration suite needs beyond cargo: HAProxy from Debian's
# packages, the load balancer the cluster test puts in front of three nodes.
set -euo pipefail
if ! command -v haproxy >/dev/null 2>&1; then
  echo "installing HAProxy from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends haproxy >/dev/null
fi
