FROM alpine:3.20
COPY --from=busybox:1.36 /bin/busybox /bin/busybox
COPY --from=ghcr.io/example/tools@sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d /tool /usr/local/bin/
