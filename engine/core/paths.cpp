#include "core/paths.h"

#include <QDir>
#include <QStandardPaths>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace hubsync {

QString dataDirectory(const QString &configured) {
    if (!configured.isEmpty())
        return QDir(configured).absolutePath();
#ifdef Q_OS_UNIX
    // A root service keeps its state where system services do; /root is private, and the embedded
    // database runs as the 'postgres' account, which must be able to reach its directory.
    if (::geteuid() == 0)
        return QStringLiteral("/var/lib/hubsync");
#endif
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (base.isEmpty())
        base = QDir::homePath() + QStringLiteral("/.local/share");
    return base + QStringLiteral("/HubSync");
}

} // namespace hubsync
