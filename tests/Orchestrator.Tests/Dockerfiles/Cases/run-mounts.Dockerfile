FROM busybox:1.36 AS tools
RUN mkdir -p /opt/tools && echo tool > /opt/tools/tool.sh

FROM debian:bookworm-slim
WORKDIR /work
RUN --mount=type=bind,from=tools,source=/opt/tools,target=/mnt/tools \
    --mount=type=bind,source=scripts,target=/scripts,rw \
    --mount=target=/ctx \
    /scripts/run.sh
RUN --mount=type=tmpfs,target=/tmp/scratch,size=64m --mount=type=tmpfs,dst=/var/tmp make
RUN --mount=type=ssh --mount=type=ssh,id=github,target=/run/github.sock,required git clone git@github.com:example/app.git
RUN --mount=type=bind,from=busybox:1.36,target=/mnt/busybox,ro --mount=type=bind,from=0,source=/opt,target=/mnt/opt ls /mnt
