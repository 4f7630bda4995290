#!/bin/sh
# Creates the push secret the build pods mount at /kaniko/.docker/config.json.
# Usage: REGISTRY=registry.example.com USER=robot PASSWORD=... ./regcred.sh [namespace]
# The password is read from the environment, so it never lands in the shell history or a file here.
set -eu
namespace="${1:-builds}"
kubectl -n "$namespace" create secret docker-registry regcred \
  --docker-server="$REGISTRY" --docker-username="$USER" --docker-password="$PASSWORD" \
  --dry-run=client -o yaml | kubectl -n "$namespace" apply -f -
