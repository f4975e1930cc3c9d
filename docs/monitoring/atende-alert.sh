#!/bin/sh
# Send one alert to Atende's generic receiver (docs/alerts.md). For Nagios, Icinga 2 and any tool that can
# run a command on a state change. Needs curl and jq (jq builds the JSON, so plugin output with quotes or
# newlines cannot break it).
#
#   atende-alert.sh ID STATE TITLE [DESCRIPTION] [HOST] [SERVICE]
#
# ID      stable identity of the check, e.g. "web01/HTTP": one ticket per ID while it is a problem
# STATE   the tool's state: OK/UP/RECOVERY resolve; CRITICAL/WARNING/UNKNOWN/DOWN/UNREACHABLE/PROBLEM fire
# Environment: ATENDE_URL (https://atende.example), ATENDE_ALERTS_TOKEN.
set -eu
id=$1 state=$(printf %s "$2" | tr '[:upper:]' '[:lower:]') title=$3
description=${4:-} host=${5:-} service=${6:-}
case "$state" in
  unreachable) state=down ;;
esac
severity=$state
case "$state" in
  down) severity=critical ;;
esac
jq -n --arg id "$id" --arg status "$state" --arg title "$title" --arg description "$description" \
      --arg host "$host" --arg service "$service" --arg severity "$severity" \
  '{id: $id, status: $status, title: $title, severity: $severity}
   + (if $description != "" then {description: $description} else {} end)
   + (if $host != "" then {host: $host} else {} end)
   + (if $service != "" then {service: $service} else {} end)' |
curl -fsS -m 10 -X POST "${ATENDE_URL:?set ATENDE_URL}/webhooks/alerts/generic" \
  -H "Authorization: Bearer ${ATENDE_ALERTS_TOKEN:?set ATENDE_ALERTS_TOKEN}" \
  -H "Content-Type: application/json" --data-binary @- >/dev/null
