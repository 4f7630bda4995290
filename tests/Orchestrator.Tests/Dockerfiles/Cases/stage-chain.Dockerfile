FROM debian:bookworm-slim AS base
ENV APP_ROOT=/srv/app
RUN useradd -r app

FROM base AS deps
WORKDIR $APP_ROOT
COPY deps.txt .

FROM deps AS test
RUN ./run-tests.sh

FROM deps AS release
COPY --from=test /srv/app/report.xml /reports/
CMD ["./start.sh"]
