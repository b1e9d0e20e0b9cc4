#!/bin/bash
# The container image's HEALTHCHECK (see Dockerfile): GET /health from kiln serve through bash's
# /dev/tcp, since the slim Debian image has no curl. Healthy (exit 0) when the answer's status line
# is 200 within 4 seconds. The server is looked for at 127.0.0.1:8080, or at KILN_HEALTHCHECK_ADDR
# (HOST:PORT) for a server started with another --addr.
set -u
addr="${KILN_HEALTHCHECK_ADDR:-127.0.0.1:8080}"
host="${addr%:*}"
port="${addr##*:}"
if ! exec 3<>"/dev/tcp/$host/$port"; then
    echo "kiln-healthcheck: nothing listens at $addr" >&2
    exit 1
fi
printf 'GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$addr" >&3
if ! IFS= read -r -t 4 status <&3; then
    echo "kiln-healthcheck: no answer from $addr" >&2
    exit 1
fi
case "$status" in
    "HTTP/1.1 200"*) exit 0 ;;
    *)
        echo "kiln-healthcheck: $addr answered ${status%$'\r'}" >&2
        exit 1
        ;;
esac
