# PostgreSQL 15 with pg_auto_failover, from Debian's packages (the same the failover test uses):
# the monitor and the data nodes of docker-compose.yml's `ha` profile run from it.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data && chown -R postgres:postgres /var/lib/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data XDG_CONFIG_HOME=/var/lib/postgresql/.config \
    XDG_DATA_HOME=/var/lib/postgresql/.local/share
COPY deploy/pg-auto-failover-node.sh /usr/local/bin/pg-auto-failover-node
USER postgres
WORKDIR /var/lib/postgresql
ENTRYPOINT ["/usr/local/bin/pg-auto-failover-node"]
