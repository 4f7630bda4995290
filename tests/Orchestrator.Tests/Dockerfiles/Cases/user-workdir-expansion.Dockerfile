FROM alpine:3.20
ARG USER_ID=1001
ENV HOME_DIR=/home/app
RUN adduser -D -u $USER_ID app
WORKDIR ${HOME_DIR}/work
USER ${USER_ID}:${GROUP_ID:-0}
