#!/bin/sh
# Serves /app/www on port 8080 with busybox httpd.
exec httpd -f -p 8080 -h /app/www
