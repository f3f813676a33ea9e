#pragma once
// The web app (app/web/) as kemas-api carries it: app/web/bundle.py builds every file into
// the binary (web_bundle.cpp in the build tree), so the api serves its pages with nothing to
// install, mount or find at run time, and a page can never meet assets of another version.

#include <span>
#include <string_view>

namespace kemas::http {

struct web_asset {
  std::string_view path;          // "/index.html", or "/assets/app.3f2a91c0d4e5.js"
  std::string_view content_type;
  std::string_view etag;          // quoted; from the content's SHA-256
  std::string_view body;
  std::string_view gzip_body;     // empty when compression does not save a tenth
  bool immutable;                 // a content-hashed name: cacheable for a year
};

std::span<const web_asset> web_assets();
// The client-side pages ("/", "/files", ...): each is answered with index.html, so a reload
// or a link from an e-mail opens the page it names.
std::span<const std::string_view> web_page_paths();

}  // namespace kemas::http
