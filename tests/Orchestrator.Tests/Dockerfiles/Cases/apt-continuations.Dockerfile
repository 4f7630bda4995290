FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        ca-certificates \
        curl \
        # comments inside a continuation are dropped
        jq \

 && rm -rf /var/lib/apt/lists/*
