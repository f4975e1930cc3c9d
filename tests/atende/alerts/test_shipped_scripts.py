"""The integration scripts docs/alerts.md ships, run for real against a running Atende: the Zabbix webhook
media type's JavaScript (under node, with Zabbix's HttpRequest and Zabbix objects stood in by curl), the
Nagios/Icinga script and the Checkmk notification script (sh, jq, curl). A problem opens one ticket, its
recovery resolves it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from atende.runtime import Runtime
from atende.settings import REPO_ROOT
from tests.atende.alerts.conftest import TOKEN

DOCS = REPO_ROOT / "docs"

#: Zabbix's webhook runtime as far as the script uses it: HttpRequest (synchronous; curl here), Zabbix.log.
ZABBIX_SHIM = r"""
const { execFileSync } = require("child_process");
function HttpRequest() { this.headers = []; this.status = 0; }
HttpRequest.prototype.addHeader = function (h) { this.headers.push(h); };
HttpRequest.prototype.getStatus = function () { return this.status; };
HttpRequest.prototype.post = function (url, body) {
  const args = ["-sS", "-X", "POST", "--data-binary", "@-", "-w", "\n%{http_code}", url];
  for (const h of this.headers) args.push("-H", h);
  const out = execFileSync("curl", args, { input: body }).toString();
  const cut = out.lastIndexOf("\n");
  this.status = parseInt(out.slice(cut + 1), 10);
  return out.slice(0, cut);
};
const Zabbix = { log: (level, text) => console.error(text) };
const value = process.argv[2];
const script = require("fs").readFileSync(process.argv[3], "utf8");
const result = new Function("value", "HttpRequest", "Zabbix", script)(value, HttpRequest, Zabbix);
console.log(result);
"""


def _need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")


async def _wait(check: Any) -> None:
    for _ in range(200):
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the alert was not applied")


async def test_zabbix_media_type_script(live: tuple[str, Runtime], tmp_path: Path) -> None:
    _need("node", "curl")
    base, runtime = live
    media = yaml.safe_load((DOCS / "zabbix" / "atende_webhook.yaml").read_text())
    [media_type] = media["zabbix_export"]["media_types"]
    script = tmp_path / "script.js"
    script.write_text(media_type["script"])
    shim = tmp_path / "shim.js"
    shim.write_text(ZABBIX_SHIM)
    names = [p["name"] for p in media_type["parameters"]]
    assert names[:2] == ["URL", "Token"]

    def run(event_value: str) -> str:
        params = {"URL": f"{base}/webhooks/alerts/generic", "Token": TOKEN, "EventID": "4242",
                  "EventValue": event_value, "Subject": "High CPU on erp-db1",
                  "Message": 'load 14.2 "sustained"\nfor 10m', "Severity": "Disaster", "Host": "erp-db1",
                  "Service": "ERP", "EventURL": "{$ZABBIX.URL}/tr_events.php?eventid=4242"}
        done = subprocess.run(["node", str(shim), json.dumps(params), str(script)], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert await asyncio.to_thread(run, "1") == "OK"
    await _wait(lambda: runtime.tickets.get_alert("generic:zabbix:4242") is not None)
    info = runtime.tickets.get_alert("generic:zabbix:4242")
    assert info is not None
    ticket = runtime.tickets.get(info.reference)
    assert ticket is not None and ticket.title == "High CPU on erp-db1" and ticket.service == "ERP"
    assert ticket.priority == "P1" and '"sustained"' in ticket.description
    assert "{$ZABBIX.URL}" not in ticket.description  # an unexpanded macro is left out
    assert await asyncio.to_thread(run, "0") == "OK"
    await _wait(lambda: runtime.tickets.get(info.reference).status == "resolved")  # type: ignore[union-attr]
    wrong = {"URL": f"{base}/webhooks/alerts/generic", "Token": "wrong", "EventID": "1", "EventValue": "1",
             "Subject": "x"}
    bad = await asyncio.to_thread(subprocess.run, ["node", str(shim), json.dumps(wrong), str(script)],
                                  capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "401" in bad.stderr


async def test_nagios_icinga_script_and_checkmk_script(live: tuple[str, Runtime]) -> None:
    _need("sh", "jq", "curl")
    base, runtime = live
    env = {**os.environ, "ATENDE_URL": base, "ATENDE_ALERTS_TOKEN": TOKEN}
    script = str(DOCS / "monitoring" / "atende-alert.sh")

    def nagios(state: str) -> None:
        subprocess.run([script, "web01/HTTP", state, f"HTTP on web01 is {state}",
                        'HTTP CRITICAL: "connection refused"', "web01"], env=env, check=True, timeout=30)

    await asyncio.to_thread(nagios, "CRITICAL")
    await _wait(lambda: runtime.tickets.get_alert("generic:web01/HTTP") is not None)
    info = runtime.tickets.get_alert("generic:web01/HTTP")
    assert info is not None
    ticket = runtime.tickets.get(info.reference)
    assert ticket is not None and ticket.service == "web01" and '"connection refused"' in ticket.description
    await asyncio.to_thread(nagios, "OK")
    await _wait(lambda: runtime.tickets.get(info.reference).status == "resolved")  # type: ignore[union-attr]

    checkmk = {**os.environ, "NOTIFY_PARAMETER_1": base, "NOTIFY_PARAMETER_2": TOKEN, "NOTIFY_WHAT": "HOST",
               "NOTIFY_HOSTNAME": "sw-core-1", "NOTIFY_HOSTSTATE": "DOWN", "NOTIFY_HOSTOUTPUT": "no ping"}
    cmk = str(DOCS / "monitoring" / "checkmk_atende")
    await asyncio.to_thread(subprocess.run, [cmk], env=checkmk, check=True, timeout=30)
    await _wait(lambda: runtime.tickets.get_alert("generic:checkmk:sw-core-1") is not None)
    host = runtime.tickets.get_alert("generic:checkmk:sw-core-1")
    assert host is not None
    assert runtime.tickets.get(host.reference).priority == "P1"  # type: ignore[union-attr]  # down: critical
    await asyncio.to_thread(subprocess.run, [cmk], env={**checkmk, "NOTIFY_HOSTSTATE": "UP"}, check=True,
                            timeout=30)
    await _wait(lambda: runtime.tickets.get(host.reference).status == "resolved")  # type: ignore[union-attr]
    # (in a thread: the server answering it runs on this event loop)
    failed = await asyncio.to_thread(subprocess.run, [script, "x", "CRITICAL", "x"],
                                     env={**env, "ATENDE_ALERTS_TOKEN": "wrong"}, capture_output=True,
                                     timeout=30)
    assert failed.returncode != 0  # curl -f: a 401 is a failed notification the tool reports
