FROM postgres:16
ARG PORT=5432
VOLUME /var/lib/postgresql/data
VOLUME ["/backups", "/with space"]
EXPOSE $PORT 8080/tcp 53/udp
