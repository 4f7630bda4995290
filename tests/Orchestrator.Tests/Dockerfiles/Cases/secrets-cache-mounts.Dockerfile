FROM node:20
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc,required \
    --mount=type=cache,target=/root/.npm,id=npm-cache,sharing=locked \
    npm ci
RUN --mount=type=secret,id=token --network=none ./offline-step.sh
RUN --mount=type=cache,target=/var/cache/apt,sharing=private --network=default apt-get update
