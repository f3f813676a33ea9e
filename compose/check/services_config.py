#!/usr/bin/python3
"""Every kemas service of the bundle would start with the settings compose gives it.

Reads the resolved bundle (`docker-compose ... config` output) on stdin and runs
`kemas-admin config-check` once per service that runs a kemas program, with exactly that
service's environment (nothing inherited) and the image's conf/kemas.toml. Catches a setting
production requires that the bundle forgot (a missing secret would stop the real container).

usage: docker-compose -f ... config | services_config.py KEMAS_ADMIN CONFIG_FILE
"""
import subprocess
import sys

import yaml

KEMAS_PROGRAMS = {"kemas-api", "kemas-worker", "kemas-admin"}


def main():
    admin, config_file = sys.argv[1], sys.argv[2]
    bundle = yaml.safe_load(sys.stdin)
    failures = checked = 0
    for name, service in sorted(bundle["services"].items()):
        command = service.get("command") or []
        if isinstance(command, str):
            command = command.split()
        if not command or command[0] not in KEMAS_PROGRAMS:
            continue
        env = {k: "" if v is None else str(v) for k, v in (service.get("environment") or {}).items()}
        env["PATH"] = "/usr/bin:/bin"
        out = subprocess.run([admin, "--config", config_file, "config-check"], env=env,
                             capture_output=True, text=True)
        checked += 1
        if out.returncode == 0:
            print(f"ok   {name}: {out.stdout.strip()}")
        else:
            failures += 1
            print(f"FAIL {name}: {out.stderr.strip()}")
    if checked == 0:
        print("FAIL no kemas service found in the bundle")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
