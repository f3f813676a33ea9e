#!/usr/bin/env bash
# Scale-out on the real engines (issue 14): a 3-node RabbitMQ cluster on loopback (quorum
# queues, a replica on every node), 2 kemas-api instances and 3 commands workers, each
# process starting on another node with the other two as its failover list
# (amqp.more_brokers). Under a mixed upload/delete load it kills (-9) node 1, then node 2,
# each for KEMAS_FAULTS_OUTAGE_SECONDS (20), and restarts them; then it checks the
# invariants of scripts/faults.sh (0 accepted lost, 0 duplicated, usage, bucket vs rows,
# queues drained) and prints them with the uploads accepted while each node was down.
# Servers of its own (ports 27xxx, data in .run-cluster/), started and stopped by
# scripts/faults.sh with this plan; a few minutes.
#
#   scripts/cluster.sh           (KEMAS_FAULTS_CLIENTS=6, KEMAS_FAULTS_KEEP=1 keeps servers)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

export KEMAS_FAULTS_PLAN=cluster
export KEMAS_SVC_AMQP_NODES=3   # the nodes join before kemas declares its quorum queues
export KEMAS_FAULTS_SVC_DIR="${KEMAS_CLUSTER_SVC_DIR:-$root/.run-cluster}"
export KEMAS_FAULTS_PG_PORT=${KEMAS_CLUSTER_PG_PORT:-27432}
export KEMAS_FAULTS_REDIS_PORT=${KEMAS_CLUSTER_REDIS_PORT:-27379}
export KEMAS_FAULTS_AMQP_PORT=${KEMAS_CLUSTER_AMQP_PORT:-27672}  # nodes 2, 3: 27682, 27692
export KEMAS_FAULTS_AMQP_MANAGEMENT_PORT=${KEMAS_CLUSTER_AMQP_MANAGEMENT_PORT:-27673}
export KEMAS_FAULTS_AMQP_DIST_PORT=${KEMAS_CLUSTER_AMQP_DIST_PORT:-27674}
export KEMAS_FAULTS_EPMD_PORT=${KEMAS_CLUSTER_EPMD_PORT:-27369}
export KEMAS_FAULTS_S3_PORT=${KEMAS_CLUSTER_S3_PORT:-27900}
export KEMAS_FAULTS_SMTP_PORT=${KEMAS_CLUSTER_SMTP_PORT:-27025}
export KEMAS_FAULTS_API_PORT=${KEMAS_CLUSTER_API_PORT:-27081}  # and 27082
exec "$root/scripts/faults.sh"
