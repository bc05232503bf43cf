#pragma once

#include "core/events.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

namespace hubsync {

// One row per repository x collection, updated from the engine's progress events.
class ProgressModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Repository, Collection, Progress, Records, Rate, Eta, ColumnCount };
    static constexpr int FractionRole = Qt::UserRole + 1; // 0..1, or -1 when the total is unknown

    explicit ProgressModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void update(const CollectionProgress &progress);
    void clear();

    [[nodiscard]] qint64 totalWritten() const;
    [[nodiscard]] const CollectionProgress *lastQuota() const { return m_rows.isEmpty() ? nullptr : &m_lastQuota; }

private:
    QList<CollectionProgress> m_rows;
    QHash<QString, int> m_index; // "repo collection" -> row
    CollectionProgress m_lastQuota;
};

QString formatDuration(qint64 seconds);

} // namespace hubsync
