FROM alpine:3.20
RUN [ -f /etc/alpine-release ] && echo alpine
RUN ["sh", "-c", "echo $HOME"]
CMD [ "not json"
ENTRYPOINT echo "entry $1"
