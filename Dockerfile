# syntax=docker/dockerfile:1
# The celgate service. Built in a full Node image; run on a distroless one (no shell, no
# package manager) as a non-root user, so that the pod runs with a read-only root filesystem
# and passes celgate's own library at the restricted level (see deploy/).
#
#   docker build -t celgate:0.1.0 .
#   docker run --read-only -p 8080:8080 -v celgate-data:/data celgate:0.1.0
#
# The embedded database (PGlite) writes to /data; with DATABASE_URL set nothing is written.
ARG NODE_VERSION=20.20.2

FROM node:${NODE_VERSION}-bookworm-slim AS build
ENV COREPACK_INTEGRITY_KEYS=0 CI=true
RUN npm install -g pnpm@12.4.2
WORKDIR /src
COPY . .
# The server with its production dependencies only, the web console's static files (served at
# /; the API reference's script is in the server's dist/), and the built-in policy library.
RUN pnpm install --frozen-lockfile \
 && pnpm build \
 && pnpm --filter @celgate/server deploy --prod /out/app \
 && cp -r apps/web/dist /out/console \
 && cp -r policies /out/policies \
 && find /out/policies -name '*.ts' -delete \
 && mkdir -p /out/data

FROM gcr.io/distroless/nodejs20-debian12:nonroot AS runtime
WORKDIR /app
COPY --from=build /out/app /app
COPY --from=build /out/console /console
COPY --from=build /out/policies /policies
COPY --from=build --chown=10001:10001 /out/data /data
ENV NODE_ENV=production \
    PORT=8080 \
    CELGATE_POLICY_DIR=/policies \
    CELGATE_CONSOLE_DIR=/console \
    CELGATE_DATA_DIR=/data
USER 10001:10001
EXPOSE 8080
VOLUME ["/data"]
CMD ["/app/dist/main.js"]
