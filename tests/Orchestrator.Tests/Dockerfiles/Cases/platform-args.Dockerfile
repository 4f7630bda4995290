FROM --platform=$BUILDPLATFORM golang:1.22 AS build
ARG TARGETOS
ARG TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
ENV BUILT_FOR=${TARGETOS}/${TARGETARCH}

FROM --platform=$TARGETPLATFORM alpine:3.20
COPY --from=build /out/app /usr/local/bin/app
