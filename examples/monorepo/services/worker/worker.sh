#!/bin/sh
. /usr/local/lib/log.sh
SERVICE=worker
while :; do
  log "processed the queue ($(cat /etc/monorepo/release))"
  sleep "${INTERVAL:-60}"
done
