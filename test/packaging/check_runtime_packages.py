#!/usr/bin/python3
"""The image ships what its programs link, and nothing it does not (issue 15).

For every binary given: the shared libraries it links directly (ELF NEEDED), resolved the
way the loader does (ldd) and mapped to their Debian packages (dpkg -S). That set must equal
the runtime stage's `apt-get install` list in compose/Dockerfile, apart from the packages
debian:12-slim already has (BASE_IMAGE) and those the image installs for another reason
(NOT_LINKED). Libraries pulled in indirectly come with apt's dependencies of these.

usage: check_runtime_packages.py DOCKERFILE BINARY...
"""
import re
import subprocess
import sys

# In debian:12-slim already (apt itself needs them).
BASE_IMAGE = {"libc6", "libgcc-s1", "libstdc++6"}
# In the image for a reason other than linking: TLS roots for S3/SMTP, curl for HEALTHCHECK,
# pg_dump/pg_restore for kemas-admin backup and restore.
NOT_LINKED = {"ca-certificates", "curl", "postgresql-client"}


def runtime_packages(dockerfile):
    """The package names of the `apt-get install` in the last stage (FROM ... AS runtime)."""
    text = open(dockerfile).read()
    stage = text[text.index("AS runtime"):]
    install = re.search(r"apt-get install[^\n]*\\\n(.*?)\n\s*&&", stage, re.S)
    if not install:
        sys.exit(f"{dockerfile}: no apt-get install in the runtime stage")
    words = install.group(1).replace("\\", " ").split()
    return {w for w in words if not w.startswith("-")}


def needed_sonames(binary):
    out = subprocess.run(["readelf", "-d", binary], check=True, capture_output=True,
                         text=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out))


def resolved_paths(binary):
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    paths = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            paths[m.group(1)] = m.group(2)
    return paths


def package_of(path):
    # dpkg knows a file by the path its package installed it under: /lib or /usr/lib (usrmerge).
    candidates = [path]
    for a, b in (("/usr/lib/", "/lib/"), ("/lib/", "/usr/lib/")):
        if path.startswith(a):
            candidates.append(b + path[len(a):])
    for p in candidates:
        out = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":", 1)[0].strip()
    return None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    dockerfile, binaries = sys.argv[1], sys.argv[2:]
    listed = runtime_packages(dockerfile)
    linked, problems = {}, []
    for binary in binaries:
        paths = resolved_paths(binary)
        for soname in sorted(needed_sonames(binary)):
            path = paths.get(soname)
            if path is None or path == "not":
                problems.append(f"{binary}: {soname} is not found on this machine")
                continue
            package = package_of(path)
            if package is None:
                problems.append(f"{binary}: {soname} ({path}) belongs to no Debian package")
                continue
            linked.setdefault(package, set()).add(soname)
    needed = set(linked) - BASE_IMAGE
    for package in sorted(needed - listed):
        problems.append(f"missing from the Dockerfile's runtime stage: {package} "
                        f"(for {', '.join(sorted(linked[package]))})")
    for package in sorted(listed - needed - NOT_LINKED):
        problems.append(f"listed in the Dockerfile's runtime stage but linked by no program: "
                        f"{package}")
    for package in sorted(needed):
        print(f"{package:<28} {', '.join(sorted(linked[package]))}")
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
