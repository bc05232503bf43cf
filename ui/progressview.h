#pragma once

#include "core/events.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QTableView;

namespace hubsync {

class ProgressModel;

// Backfill progress: a bar per repository x collection, records/s, ETA, API quota left and its reset
// time, the live-sync mode afterwards, and errors in plain sight.
class ProgressView final : public QWidget {
    Q_OBJECT
public:
    explicit ProgressView(QWidget *parent = nullptr);

    void showProgress(const CollectionProgress &progress);
    void showStatus(const EngineStatus &status);
    void showError(const QString &message);
    void showWarning(const QString &message);
    void showLiveEvent(const LiveSyncEvent &event);

    [[nodiscard]] ProgressModel *model() const { return m_model; }
    [[nodiscard]] QString summaryText() const;
    [[nodiscard]] QString errorText() const;
    [[nodiscard]] QString quotaText() const;
    [[nodiscard]] QString liveText() const;
    [[nodiscard]] int overallPercent() const;

private:
    ProgressModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_quota = nullptr;
    QString m_restQuota; // the last figures of each pool, shown together
    QString m_graphqlQuota;
    QLabel *m_errors = nullptr;
    QLabel *m_live = nullptr;
    QProgressBar *m_overall = nullptr;
    QString m_liveMode;
    QString m_lastEvent;
    void updateLive();
    void updateOverall();
};

} // namespace hubsync
