// The portal's pages (portal/, docs/portal.md), built into closebookd by api/embed_portal.cmake.
#pragma once

#include <span>
#include <string_view>

namespace closebook::api {

struct PortalAsset {
  std::string_view name;        // "app.js": the file's name in portal/
  std::string_view media_type;  // from its extension
  std::string_view content;
};

std::span<const PortalAsset> portal_assets();

}  // namespace closebook::api
