# syntax=docker/dockerfile:1.7
FROM alpine:3.20
RUN <<EOF
set -e
apk add --no-cache bash
echo done > /done.txt
EOF
RUN python3 <<PY
print("hello")
PY
RUN --network=none <<-'SCRIPT'
	echo "$HOME stays for the shell"
	SCRIPT
