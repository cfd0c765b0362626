#!/bin/bash
# The service image's health check: GET /health/ready (or the path given) on
# 127.0.0.1:$PORT, healthy on a 200. The runtime image has no curl or wget;
# bash's /dev/tcp needs no extra package.
set -euo pipefail

path="${1:-/health/ready}"
exec 3<>"/dev/tcp/127.0.0.1/${PORT:?PORT is not set}"
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
status=""
read -r -t 5 _ status _ <&3 || true
[[ "$status" == "200" ]]
