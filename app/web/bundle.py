#!/usr/bin/python3
"""Builds the web app (app/web/) into a C++ source kemas-api carries.

Every file under assets/ gets a content-hashed name (app.js -> app.3f2a91c0d4e5.js) so a
browser may cache it for a year: a change makes a new name. Subfolders are flattened
(pages/files.js -> pages-files.<hash>.js) because every asset is served from /assets/.
Relative ES module imports and CSS url()s are rewritten to the hashed names, dependencies
first, so a module's hash covers what it imports. index.html (never cached: it names the
current hashes) gets its /assets/... references rewritten the same way. Each file is also
gzipped when that saves at least a tenth. The page paths the api answers with index.html
are read from assets/router.js (`const page_paths = [...]`), so the client's router and the
server's routes cannot disagree.

usage: bundle.py SOURCE_DIR OUT_CPP
Standard library only; the output is byte-for-byte reproducible.
"""
import gzip
import hashlib
import json
import os
import posixpath
import re
import sys

TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
JS_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}/[^'"]+)\2""")
CSS_URL = re.compile(r"""url\(\s*(['"]?)(\.{1,2}/[^'")]+)\1\s*\)""")
HTML_ASSET = re.compile(r"""(["'])/assets/([^"'?#]+)\1""")
PAGE_PATHS = re.compile(r"const\s+page_paths\s*=\s*\[([^\]]*)\]", re.S)


class Bundle:
    def __init__(self, root):
        self.root = root
        self.assets = os.path.join(root, "assets")
        self.built = {}  # source path relative to assets/ -> (hashed name, bytes)
        self.visiting = set()

    def build(self, rel):
        """The hashed name of assets/<rel>, building it (and what it imports) first."""
        if rel in self.built:
            return self.built[rel][0]
        if rel in self.visiting:
            raise SystemExit(f"bundle: import cycle through {rel}")
        path = os.path.join(self.assets, rel)
        if not os.path.isfile(path):
            raise SystemExit(f"bundle: {rel} is referenced but does not exist")
        self.visiting.add(rel)
        ext = os.path.splitext(rel)[1]
        if ext not in TYPES:
            raise SystemExit(f"bundle: {rel}: no content type for {ext}")
        with open(path, "rb") as f:
            data = f.read()
        base = posixpath.dirname(rel)

        def target(spec):
            return self.build(posixpath.normpath(posixpath.join(base, spec)))
        if ext == ".js":
            data = JS_IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)}./{target(m.group(3))}"
                                 f"{m.group(2)}", data.decode()).encode()
        elif ext == ".css":
            data = CSS_URL.sub(lambda m: f"url({m.group(1)}./{target(m.group(2))}{m.group(1)})",
                               data.decode()).encode()
        stem = os.path.splitext(rel)[0].replace("/", "-")
        name = f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}{ext}"
        self.visiting.discard(rel)
        self.built[rel] = (name, data)
        return name


def page_paths(router_js):
    m = PAGE_PATHS.search(router_js)
    if not m:
        raise SystemExit("bundle: assets/router.js has no `const page_paths = [...]`")
    paths = re.findall(r"""['"](/[^'"]*)['"]""", m.group(1))
    for p in paths:
        if not re.fullmatch(r"/|(/[a-z0-9-]+)+", p):
            raise SystemExit(f"bundle: page path {p!r} is not /lowercase-words")
    if "/" not in paths:
        raise SystemExit("bundle: page_paths must hold /")
    return paths


def c_string(data):
    """A C++ string literal (split into lines) holding exactly these bytes."""
    out, line = [], []
    for b in data:
        if b == 0x5C:
            line.append("\\\\")
        elif b == 0x22:
            line.append('\\"')
        elif b == 0x0A:
            line.append("\\n")
        elif 0x20 <= b < 0x7F and b != 0x3F:  # '?' escaped: no trigraph surprises
            line.append(chr(b))
        else:
            line.append(f"\\{b:03o}")
        if len(line) >= 100 or b == 0x0A:
            out.append('"' + "".join(line) + '"')
            line = []
    if line or not out:
        out.append('"' + "".join(line) + '"')
    return "\n      ".join(out)


def gzipped(data):
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    return packed if len(packed) * 10 <= len(data) * 9 else b""


def main():
    root, out = sys.argv[1], sys.argv[2]
    bundle = Bundle(root)
    for dirpath, _, files in sorted(os.walk(bundle.assets)):
        for f in sorted(files):
            rel = posixpath.relpath(os.path.join(dirpath, f), bundle.assets).replace(os.sep, "/")
            bundle.build(rel)
    with open(os.path.join(root, "index.html"), encoding="utf-8") as f:
        html = f.read()

    def asset_ref(m):
        rel = m.group(2)
        if rel not in bundle.built:
            raise SystemExit(f"bundle: index.html names /assets/{rel}, which does not exist")
        return f"{m.group(1)}/assets/{bundle.built[rel][0]}{m.group(1)}"
    html = HTML_ASSET.sub(asset_ref, html).encode()
    with open(os.path.join(bundle.assets, "router.js"), encoding="utf-8") as f:
        pages = page_paths(f.read())

    entries = [("/index.html", TYPES[".html"], html, False)]
    for rel in sorted(bundle.built):
        name, data = bundle.built[rel]
        entries.append((f"/assets/{name}", TYPES[os.path.splitext(rel)[1]], data, True))
    lines = [
        "// Generated by app/web/bundle.py from app/web/. Do not edit.",
        '#include "app/routes/web_bundle.hpp"',
        "",
        "namespace kemas::http {",
        "namespace {",
        "",
        "using namespace std::string_view_literals;",
        "",
        "const web_asset assets[] = {",
    ]
    for path, ctype, data, immutable in entries:
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        packed = gzipped(data)
        lines += [
            "  {" + json.dumps(path) + "sv, " + json.dumps(ctype) + "sv, " + json.dumps(etag)
            + "sv,",
            f"   std::string_view{{{c_string(data)},\n      {len(data)}}},",
            f"   std::string_view{{{c_string(packed)},\n      {len(packed)}}},",
            f"   {'true' if immutable else 'false'}}},",
        ]
    lines += ["};", "", "const std::string_view pages[] = {"]
    lines += [f"  {json.dumps(p)}sv," for p in pages]
    lines += [
        "};",
        "",
        "}  // namespace",
        "",
        "std::span<const web_asset> web_assets() { return assets; }",
        "std::span<const std::string_view> web_page_paths() { return pages; }",
        "",
        "}  // namespace kemas::http",
        "",
    ]
    text = "\n".join(lines)
    try:
        with open(out, encoding="utf-8") as f:
            if f.read() == text:
                return 0  # unchanged: keep the timestamp, skip the recompile
    except OSError:
        pass
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(out + ".tmp", out)
    total = sum(len(e[2]) for e in entries)
    print(f"bundle: {len(entries)} files, {total} bytes, {len(pages)} page paths")
    return 0


if __name__ == "__main__":
    sys.exit(main())
