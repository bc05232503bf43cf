#pragma once

#include <QString>

namespace hubsync {

// Where HubSync keeps its state on this machine. An explicit --data-dir wins; otherwise the platform's
// per-user application data directory (~/.local/share/HubSync on Linux; /var/lib/hubsync for root).
QString dataDirectory(const QString &configured);

} // namespace hubsync
