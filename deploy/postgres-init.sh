#!/bin/sh
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d/): the two
# roles of docs/security.md and the database, owned by the owner role. The application role may
# read and write rows only; it gets its grants from `manage.py migrate` (run as the owner).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$FLS_OWNER_PASSWORD" -v app_password="$FLS_APP_PASSWORD" <<'SQL'
CREATE ROLE fls_owner LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS PASSWORD :'owner_password';
CREATE ROLE fls_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'app_password';
CREATE DATABASE fls_registry OWNER fls_owner;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname fls_registry -c "ALTER SCHEMA public OWNER TO fls_owner"
