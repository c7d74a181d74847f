// The Admin Workspace's files (web/dist), embedded in the binary at build time so that nothing
// is fetched at run time.
#pragma once

#include <string_view>
#include <vector>

namespace licsat::http {

struct WebAsset {
  std::string_view path;          // "/index.html"
  std::string_view content_type;
  std::string_view body;
};

const std::vector<WebAsset>& web_assets();

}  // namespace licsat::http
