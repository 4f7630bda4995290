FROM node:20
ONBUILD COPY package.json /app/
ONBUILD RUN cd /app && npm install
ONBUILD ARG NODE_ENV=production
