FROM nginx:1.27
HEALTHCHECK --interval=30s --timeout=5s --start-period=1m30s --start-interval=500ms --retries=3 \
  CMD curl -fsS http://localhost/ || exit 1
