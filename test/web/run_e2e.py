#!/usr/bin/python3
"""Runs the web app's end-to-end test (test/web/e2e.mjs) against a stack of its own.

Starts kemas-api and the commands, audit, scheduler and mailer workers on the test servers
(test/support/stack.py: a database and vhost of their own), makes an admin, and runs the
Playwright script in node with Debian's chromium. Screenshots go to ARTIFACTS; on failure the
processes' logs are copied there too.

usage: run_e2e.py SOURCE_DIR KEMAS_API KEMAS_WORKER KEMAS_ADMIN ARTIFACTS_DIR
"""
import os
import secrets
import subprocess
import sys

SOURCE, API, WORKER, ADMIN, ARTIFACTS = sys.argv[1:6]
sys.path.insert(0, os.path.join(SOURCE, "test", "support"))
from stack import Stack, free_port  # noqa: E402

HERE = os.path.join(SOURCE, "test", "web")
CHROMIUM = "/usr/bin/chromium"


def main():
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        print("FAIL test/web/node_modules is missing: run scripts/deps.sh")
        return 1
    if not os.access(CHROMIUM, os.X_OK):
        print(f"FAIL {CHROMIUM} is missing: run scripts/deps.sh")
        return 1
    svc_dir = os.environ.get("KEMAS_SVC_DIR") or os.path.join(SOURCE, ".run")
    maildir = os.path.join(svc_dir, "mail", "maildir", "new")
    port = free_port()
    admin_password = "admin-" + secrets.token_hex(8)
    tag = secrets.token_hex(3)
    admin = {"email": f"admin{tag}@example.com", "username": f"admin{tag}"}
    extra = {
        # One browser, one address: the per-IP auth limit is not what this test is about.
        "KEMAS_RATELIMIT_AUTH_LIMIT": "1000",
        "KEMAS_RATELIMIT_GENERAL_LIMIT": "10000",
        # Links in mails point at this api.
        "KEMAS_MAIL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    stack = Stack(SOURCE, API, WORKER, ADMIN, ["commands", "audit", "scheduler", "mailer"],
                  tag_prefix="web_e2e", extra_env=extra, api_port=port, api_log_format="text")
    failed = True
    try:
        stack.start()
        made = stack.run_admin("create-admin", "--email", admin["email"], "--username",
                               admin["username"], env={"KEMAS_ADMIN_PASSWORD": admin_password})
        if made.returncode != 0:
            print("FAIL kemas-admin create-admin: " + made.stderr)
            return 1
        env = {**os.environ, "KEMAS_E2E_URL": f"http://127.0.0.1:{port}",
               "KEMAS_E2E_ADMIN_USER": admin["username"],
               "KEMAS_E2E_ADMIN_EMAIL": admin["email"],
               "KEMAS_E2E_ADMIN_PASSWORD": admin_password, "KEMAS_E2E_MAILDIR": maildir,
               "KEMAS_E2E_ARTIFACTS": ARTIFACTS, "KEMAS_E2E_CHROMIUM": CHROMIUM}
        ran = subprocess.run(["node", os.path.join(HERE, "e2e.mjs")], env=env, cwd=HERE,
                             timeout=600)
        failed = ran.returncode != 0
        return ran.returncode
    finally:
        stack.stop(keep_logs_in=os.path.join(ARTIFACTS, "logs") if failed else None)


if __name__ == "__main__":
    sys.exit(main())
