#!/usr/bin/env bash
# Installs what the embedded run and the tests need on a Debian machine without Docker: the
# PostgreSQL 15 server binaries (initdb, pg_ctl). Does nothing when they are already there.
set -euo pipefail

if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries are missing: install PostgreSQL 15 (Debian: apt-get install postgresql-15)," >&2
  echo "or set ConnectionStrings__AdoptionEvents / ADOPTIONEVENTS_TEST_CONNECTION_STRING to a server you run." >&2
  exit 1
fi
echo "Installing PostgreSQL 15 server binaries"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The package's own cluster is not used (the app makes a private one), so keep it from being created.
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/no-main-cluster.conf
apt-get install -y -qq postgresql-15 >/dev/null
