#include "ui/progressview.h"

#include "ui/progressmodel.h"

#include <QApplication>
#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

namespace hubsync {

namespace {

// Paints a progress bar in the Progress column (busy stripes when the total is unknown).
class ProgressBarDelegate final : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override {
        const double fraction = index.data(ProgressModel::FractionRole).toDouble();
        QStyleOptionProgressBar bar;
        bar.rect = option.rect.adjusted(2, 3, -2, -3);
        bar.minimum = 0;
        bar.maximum = fraction < 0 ? 0 : 1000;
        bar.progress = fraction < 0 ? 0 : int(fraction * 1000);
        bar.text = index.data(Qt::DisplayRole).toString();
        bar.textVisible = true;
        bar.state = option.state | QStyle::State_Horizontal;
        QApplication::style()->drawControl(QStyle::CE_ProgressBar, &bar, painter);
    }
};

} // namespace

ProgressView::ProgressView(QWidget *parent)
    : QWidget(parent)
    , m_model(new ProgressModel(this)) {
    auto *layout = new QVBoxLayout(this);
    m_summary = new QLabel(tr("Waiting for the engine…"), this);
    m_summary->setObjectName(QStringLiteral("progressSummary"));
    m_summary->setWordWrap(true);
    m_quota = new QLabel(this);
    m_quota->setObjectName(QStringLiteral("quotaLabel"));
    m_errors = new QLabel(this);
    m_errors->setObjectName(QStringLiteral("progressErrors"));
    m_errors->setWordWrap(true);
    m_errors->setStyleSheet(QStringLiteral("QLabel { color: #b00020; }"));
    m_errors->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errors->hide();
    m_live = new QLabel(this);
    m_live->setObjectName(QStringLiteral("liveSyncLabel"));
    m_live->setWordWrap(true);
    m_live->hide();
    m_overall = new QProgressBar(this);
    m_overall->setObjectName(QStringLiteral("overallProgress"));
    m_overall->setRange(0, 100);
    m_overall->setValue(0);
    m_overall->setFormat(tr("%p% of collections done"));

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("progressTable"));
    m_table->setAccessibleName(tr("Backfill progress by repository and collection"));
    m_table->setModel(m_model);
    m_table->setItemDelegateForColumn(ProgressModel::Progress, new ProgressBarDelegate(m_table));
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ProgressModel::Progress, QHeaderView::Stretch);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->setSelectionMode(QAbstractItemView::NoSelection);

    layout->addWidget(m_summary);
    layout->addWidget(m_overall);
    layout->addWidget(m_quota);
    layout->addWidget(m_live);
    layout->addWidget(m_errors);
    layout->addWidget(m_table, 1);
}

void ProgressView::showProgress(const CollectionProgress &progress) {
    m_model->update(progress);
    updateOverall();
    // GitHub's two budgets, REST requests and GraphQL points, are separate pools: both are shown.
    const auto reset = [this](qint64 epoch) {
        return epoch > 0 ? QDateTime::fromSecsSinceEpoch(epoch).toLocalTime().toString(QStringLiteral("HH:mm:ss"))
                         : tr("unknown");
    };
    if (progress.quotaRemaining >= 0)
        m_restQuota = tr("REST %1 (resets at %2)").arg(progress.quotaRemaining).arg(reset(progress.quotaResetEpoch));
    if (progress.graphqlRemaining >= 0)
        m_graphqlQuota =
            tr("GraphQL %1 (resets at %2)").arg(progress.graphqlRemaining).arg(reset(progress.graphqlResetEpoch));
    QStringList pools{m_restQuota, m_graphqlQuota};
    pools.removeAll(QString());
    if (!pools.isEmpty())
        m_quota->setText(tr("GitHub API quota left: %1").arg(pools.join(QStringLiteral(" · "))));
}

void ProgressView::showStatus(const EngineStatus &status) {
    m_summary->setText(status.message);
    if (m_liveMode != status.liveSyncMode) {
        m_liveMode = status.liveSyncMode;
        updateLive();
    }
}

void ProgressView::showLiveEvent(const LiveSyncEvent &event) {
    const QString when = QDateTime::fromMSecsSinceEpoch(event.atMs).toLocalTime().toString(QStringLiteral("HH:mm:ss"));
    m_lastEvent =
        tr("last %1 at %2: %3")
            .arg(event.source == LiveSyncEvent::Source::Webhook ? tr("webhook") : tr("poll"), when, event.summary);
    updateLive();
}

void ProgressView::updateLive() {
    if (m_liveMode.isEmpty()) {
        m_live->hide();
        return;
    }
    m_live->setText(tr("Live sync: %1.").arg(m_liveMode) +
                    (m_lastEvent.isEmpty() ? tr(" No change seen yet.") : QLatin1Char(' ') + m_lastEvent));
    m_live->show();
}

void ProgressView::updateOverall() {
    const int rows = m_model->rowCount();
    int done = 0;
    for (int row = 0; row < rows; ++row)
        done += m_model->index(row, ProgressModel::Progress).data(ProgressModel::FractionRole).toDouble() >= 1.0;
    m_overall->setValue(rows == 0 ? 0 : done * 100 / rows);
}

int ProgressView::overallPercent() const {
    return m_overall->value();
}

QString ProgressView::quotaText() const {
    return m_quota->text();
}

QString ProgressView::liveText() const {
    return m_live->isHidden() ? QString() : m_live->text();
}

void ProgressView::showError(const QString &message) {
    m_errors->setText(m_errors->text().isEmpty() ? message : m_errors->text() + QLatin1Char('\n') + message);
    m_errors->show();
}

void ProgressView::showWarning(const QString &message) {
    showError(tr("Warning: %1").arg(message));
}

QString ProgressView::summaryText() const {
    return m_summary->text();
}

QString ProgressView::errorText() const {
    return m_errors->text();
}

} // namespace hubsync
