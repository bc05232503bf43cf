#pragma once

#include "core/config.h"
#include "sync/api.h"

#include <memory>

namespace hubsync::pg {
class Connection;
}

namespace hubsync::sync {

// The sync engine's view of GitHub, backed by github::GitHubClient with the configured credentials
// (PAT or App installation), base URL (github.com, GHES, or the simulator), quota planner and an ETag
// store: in Postgres (hubsync.etag_cache) when `etagDatabase` is given, so conditional requests keep
// working across restarts, in memory otherwise. Create and use it on one thread.
std::unique_ptr<Api> makeGitHubApi(const Config &config, pg::Connection *etagDatabase, Error *error);

} // namespace hubsync::sync
