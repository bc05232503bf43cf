#include "ui/progressmodel.h"

namespace hubsync {

QString formatDuration(qint64 seconds) {
    if (seconds < 0)
        return QStringLiteral("–");
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
}

ProgressModel::ProgressModel(QObject *parent)
    : QAbstractTableModel(parent) {}

int ProgressModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ProgressModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProgressModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Repository:
        return tr("Repository");
    case Collection:
        return tr("Collection");
    case Progress:
        return tr("Progress");
    case Records:
        return tr("Records");
    case Rate:
        return tr("Records/s");
    case Eta:
        return tr("ETA");
    default:
        return {};
    }
}

QVariant ProgressModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const CollectionProgress &p = m_rows[index.row()];
    if (role == FractionRole && index.column() == Progress) {
        if (p.done)
            return 1.0;
        if (p.total <= 0)
            return -1.0;
        return qBound(0.0, double(p.fetched) / double(p.total), 1.0);
    }
    if (role == Qt::TextAlignmentRole && index.column() >= Records)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Repository:
        return p.repository;
    case Collection:
        return p.collection;
    case Progress:
        if (p.done)
            return tr("done");
        return p.total > 0 ? QStringLiteral("%1 / ~%2").arg(p.fetched).arg(p.total) : tr("%1 so far").arg(p.fetched);
    case Records:
        return p.written;
    case Rate:
        // A finished collection keeps its last rate: how fast it went.
        return p.recordsPerSecond > 0 ? QString::number(p.recordsPerSecond, 'f', 0) : QString();
    case Eta:
        return p.done ? QString() : formatDuration(p.etaSeconds);
    default:
        return {};
    }
}

void ProgressModel::update(const CollectionProgress &progress) {
    if (progress.quotaRemaining >= 0)
        m_lastQuota = progress;
    const QString key = progress.repository + QLatin1Char(' ') + progress.collection;
    const auto it = m_index.constFind(key);
    if (it == m_index.cend()) {
        const int row = int(m_rows.size());
        beginInsertRows({}, row, row);
        m_rows << progress;
        m_index.insert(key, row);
        endInsertRows();
        return;
    }
    m_rows[*it] = progress;
    Q_EMIT dataChanged(index(*it, 0), index(*it, ColumnCount - 1));
}

void ProgressModel::clear() {
    beginResetModel();
    m_rows.clear();
    m_index.clear();
    endResetModel();
}

qint64 ProgressModel::totalWritten() const {
    qint64 total = 0;
    for (const CollectionProgress &p : m_rows)
        total += p.written;
    return total;
}

} // namespace hubsync
