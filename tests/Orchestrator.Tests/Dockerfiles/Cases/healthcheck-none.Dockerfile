FROM nginx:1.27
HEALTHCHECK NONE
HEALTHCHECK CMD ["/bin/check", "--quick"]
