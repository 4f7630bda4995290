FROM debian:bookworm
ENV APP_HOME /opt/my app
ENV A=1 B="two words" C='single $quoted' D=\$literal
ENV E=$A-${B}-${MISSING:-fallback}-${A:+set}
ENV PATH=/opt/bin:$PATH
LABEL org.opencontainers.image.title="My App" \
      org.opencontainers.image.version=1.0 description="it's fine"
MAINTAINER Jane Doe <jane@example.com>
