#pragma once

#include "core/config.h"
#include "sync/api.h"

#include <memory>

class QObject;

namespace hubsync::sync {

// The sync engine's view of GitHub, backed by github::GitHubClient with the configured credentials
// (PAT or App installation), base URL (github.com, GHES, or the simulator) and quota planner.
// Objects it creates are parented to `parent`, which must live on the calling thread.
std::unique_ptr<Api> makeGitHubApi(const Config &config, QObject *parent, Error *error);

} // namespace hubsync::sync
