#!/usr/bin/python3
"""app/web/bundle.py, the web app's whole build, on small trees of its own: imports are
rewritten to hashed names with dependencies first (so a change in a module renames every
module that imports it), index.html names the hashed files, the page paths come from
router.js, and broken trees (a missing import, a cycle, a bad page path) stop the build.

usage: bundle_test.py SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

BUNDLE = os.path.join(sys.argv[1], "app", "web", "bundle.py")
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def tree(files):
    root = tempfile.mkdtemp(prefix="kemas-bundle-")
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    return root


def build(root):
    out = os.path.join(root, "bundle.cpp")
    r = subprocess.run(["/usr/bin/python3", BUNDLE, root, out], capture_output=True, text=True)
    return r, (open(out).read() if r.returncode == 0 else "")


def asset_names(cpp):
    return sorted(set(re.findall(r'"/assets/([^"]+)"sv', cpp)))


BASE = {
    "index.html": '<script type="module" src="/assets/app.js"></script>'
                  '<link rel="stylesheet" href="/assets/app.css">',
    "assets/app.js": "import {b} from './pages/b.js';\nconsole.log(b);\n",
    "assets/pages/b.js": "export const b = 1;\n",
    "assets/app.css": "body { color: black; }\n",
    "assets/router.js": "const page_paths = ['/', '/files', '/admin/users'];\n",
}


def main():
    root = tree(BASE)
    r, cpp = build(root)
    check(r.returncode == 0, f"a good tree builds ({r.stderr.strip()})")
    names = asset_names(cpp)
    app = next((n for n in names if n.startswith("app.") and n.endswith(".js")), "")
    b = next((n for n in names if n.startswith("pages-b.")), "")
    check(re.fullmatch(r"app\.[0-9a-f]{12}\.js", app) is not None and
          re.fullmatch(r"pages-b\.[0-9a-f]{12}\.js", b) is not None,
          f"assets get hashed, flattened names ({names})")
    check(f"./{b}" in cpp and "./pages/b.js" not in cpp, "the import names the hashed file")
    check(f"/assets/{app}" in cpp and '"/assets/app.js"' not in cpp,
          "index.html names the hashed entry")
    check('"/files"sv' in cpp and '"/admin/users"sv' in cpp, "page paths come from router.js")

    with open(os.path.join(root, "assets/pages/b.js"), "w") as f:
        f.write("export const b = 2;\n")
    _, cpp2 = build(root)
    names2 = asset_names(cpp2)
    app2 = next(n for n in names2 if n.startswith("app.") and n.endswith(".js"))
    css, css2 = ([n for n in ns if n.endswith(".css")] for ns in (names, names2))
    check(app2 != app and css == css2,
          "changing a module renames its importer, and nothing unrelated")
    _, cpp3 = build(root)
    check(cpp3 == cpp2, "the output is reproducible")

    broken = {
        "a missing import": {"assets/app.js": "import './nope.js';\n"},
        "an import cycle": {"assets/app.js": "import './pages/b.js';\n",
                            "assets/pages/b.js": "import '../app.js';\n"},
        "a page path that is not /lowercase-words": {
            "assets/router.js": "const page_paths = ['/', '/Files'];\n"},
        "index.html naming a missing asset": {
            "index.html": '<script src="/assets/gone.js"></script>'},
    }
    for what, change in broken.items():
        r, _ = build(tree({**BASE, **change}))
        check(r.returncode != 0 and "bundle:" in (r.stdout + r.stderr),
              f"{what} stops the build ({(r.stdout + r.stderr).strip()})")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
