FROM alpine:3.20 AS build
RUN mkdir -p /out && echo hi > /out/a

FROM alpine:3.20
COPY --chown=1000:1000 --chmod=0644 config.yml /etc/app/
COPY --link --from=build /out/ /opt/out/
ADD --chown=app:app --chmod=755 https://example.com/tool.tar.gz /opt/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/file.txt /file.txt
ADD vendor.tar.gz /opt/vendor/
