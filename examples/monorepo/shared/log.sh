# Shared shell helpers of every service: . /usr/local/lib/log.sh
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${SERVICE:-service}: $*"; }
