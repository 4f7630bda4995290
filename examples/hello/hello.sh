#!/bin/sh
echo "$GREETING"
cat /srv/motd
